"""``python -m pipeline.cli``: the same as the ``survnews`` command."""

from pipeline.cli import main

main()
