"""What can start a release in CI: the choices of ``release init --trigger``.

A module of its own so that building the parser does not load the scaffolding code.
"""

TRIGGERS = ("tag", "main", "deploy", "release", "testpypi")
DEFAULT_TRIGGER = "tag"
