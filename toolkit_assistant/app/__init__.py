"""The Gradio app: Ask (judges), Prepare a session (trainers), Evaluate (evaluators), Library.

All document text is HTML-escaped before it reaches the page; chat messages are also escaped for
Markdown, so a document holding ``<script>`` or Markdown syntax is shown as plain text.

By concern: `i18n` (the interface text, one TOML file a language), `render` (pure HTML and
Markdown, no Gradio), `actions` (what the app does: ask, stream a draft, upload, prepare, add a
case), `chat` (the Ask tab's conversation), `eval_tab` (choosing and showing gold cases),
`exports` (download files), `layout` (the Blocks: tabs, components, handlers, API) and `launch`
(login, opening the index, serving). With an LLM backend the Ask tab shows the model's draft as
it streams, marked unverified, then the verified answer with its sources.
"""
