"""tianwang: the composition root and the `tianwang` command."""
