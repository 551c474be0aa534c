# Copyright (c) mmzedo contributors. All rights reserved.
"""Command-line entry points that end as argparse does on bad input."""
import os.path as osp
import re
import sys
from typing import Callable, Optional, Sequence

#: The errors a tool raises for bad input (files, settings, data); each
#: carries a message that names the problem.
INPUT_ERRORS = (ValueError, KeyError, FileNotFoundError, FileExistsError,
                NotADirectoryError, IsADirectoryError)


def run_cli(main: Callable, argv: Optional[Sequence[str]] = None,
            prog: Optional[str] = None):
    """Run ``main(argv)``; bad input ends like an argparse error: the
    message alone on stderr, ``PROG: error: ...``, and exit status 2 (no
    traceback). Other exceptions (bugs) keep their traceback."""
    prog = prog or osp.basename(sys.argv[0])
    try:
        return main(argv)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            raise
        message = str(e.code)
    except INPUT_ERRORS as e:
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args \
            else str(e)
    # a tool's own "NAME: error: " prefix is not repeated
    message = re.sub(r'^[\w.-]+: error: ', '', message)
    sys.stderr.write(f'{prog}: error: {message}\n')
    raise SystemExit(2)
