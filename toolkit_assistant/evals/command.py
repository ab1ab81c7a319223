"""`toolkit-assistant eval`: run the gold cases, print the metrics, write the report, apply the gate.

Exit codes: 0 every gated metric meets its target; 1 one misses it; 2 bad input (cases, thresholds).
The runner and the report are imported when the command runs, not at load.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit_assistant.evals.cases import GOLD_CASES, POISONED_CASES, POISONED_DIR, EvalCase, load_cases
from toolkit_assistant.evals.gate import THRESHOLDS, load_thresholds
from toolkit_assistant.wiring import BACKENDS, EXIT_INPUT, cli_assistant, cli_settings

EXIT_GATE_FAILED = 1


class EvalInputError(click.ClickException):
    """A cases, thresholds or report input that cannot be used (exit code 2)."""

    exit_code = EXIT_INPUT


def _load_all_cases(cases_file: Path | None, poisoned: bool | None, split: str) -> tuple[list[EvalCase], bool]:
    """The cases to run and whether poisoned cases are among them."""
    path = cases_file or GOLD_CASES
    try:
        cases = load_cases(path)
    except ValueError as exc:
        hint = "" if cases_file or path.exists() else " (the gold set is evals/gold.jsonl; or pass --cases FILE)"
        raise EvalInputError(f"{exc}{hint}") from exc
    if poisoned is None:
        poisoned = cases_file is None and POISONED_CASES.is_file() and POISONED_DIR.is_dir()
    if poisoned:
        if not POISONED_CASES.is_file() or not POISONED_DIR.is_dir():
            raise EvalInputError(f"--poisoned needs {POISONED_CASES} and the folder {POISONED_DIR}")
        try:
            extra = load_cases(POISONED_CASES)
        except ValueError as exc:
            raise EvalInputError(str(exc)) from exc
        clash = {c.id for c in cases} & {c.id for c in extra}
        if clash:
            raise EvalInputError(f"case ids used in both {path.name} and {POISONED_CASES.name}: {', '.join(sorted(clash))}")
        cases += extra
    if split != "all":
        cases = [c for c in cases if c.split == split]
        if not cases:
            raise EvalInputError(f"No cases in the {split} split")
    return cases, any(c.category == "poisoned" for c in cases)


@click.command()
@click.option("--backend", type=click.Choice(BACKENDS), default=None,
              help="Answer backend (default: TOOLKIT_BACKEND, extractive).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write report.html, results.json and charts into this folder (no report without it).")
@click.option("--cases", "cases_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Cases file (default: evals/gold.jsonl).")
@click.option("--split", type=click.Choice(["all", "calibration", "holdout"]), default="all", show_default=True,
              help="Run only the cases of one split.")
@click.option("--poisoned/--no-poisoned", default=None,
              help="Also run evals/poisoned_cases.jsonl against a temporary index of corpus/ plus evals/poisoned/ "
                   "(default: on when those exist and --cases is not given).")
@click.option("--thresholds", "thresholds_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Gate file (default: evals/thresholds.toml).")
@click.pass_context
def eval_command(ctx: click.Context, backend: str | None, as_json: bool, report_dir: Path | None, cases_file: Path | None,
                 split: str, poisoned: bool | None, thresholds_file: Path | None) -> None:
    """Run the gold questions, print the metrics and apply the quality gate.

    Exit codes: 0 every gated metric meets its target; 1 a gated metric
    misses its target (or the index/backend failed); 2 bad input (cases or thresholds file).
    """
    from toolkit_assistant.evals.poisoned import poisoned_assistant
    from toolkit_assistant.evals.report import json_default, write_report
    from toolkit_assistant.evals.runner import run_eval
    from toolkit_assistant.evals.tables import format_table

    s = cli_settings(ctx)
    name = backend or s.backend
    try:
        thresholds = load_thresholds(thresholds_file or THRESHOLDS)
    except ValueError as exc:
        raise EvalInputError(str(exc)) from exc
    cases, has_poisoned = _load_all_cases(cases_file, poisoned, split)
    log = (lambda m: click.echo(f"  {m}", err=True))
    assistant = cli_assistant(s)
    try:
        if has_poisoned:
            with poisoned_assistant(s, POISONED_DIR, progress=log) as pa:
                result = run_eval(assistant, cases, backend=name, progress=log, poisoned_assistant=pa, thresholds=thresholds)
        else:
            result = run_eval(assistant, cases, backend=name, progress=log, thresholds=thresholds)
    except ValueError as exc:
        raise EvalInputError(str(exc)) from exc
    if report_dir is not None:
        page = write_report(result, report_dir)
        click.echo(f"report: {page}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(full=False), indent=2, ensure_ascii=False, default=json_default))
    else:
        click.echo(format_table(result))
    ctx.exit(0 if result.passed else EXIT_GATE_FAILED)

