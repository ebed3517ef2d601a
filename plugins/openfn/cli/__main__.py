"""``python -m openfn.cli``: the same as the ``openfn-airflow`` command (how a checkout's Makefile runs it)."""

import sys

from openfn.cli import main

sys.exit(main())
