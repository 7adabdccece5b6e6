"""Errors that lockerplan raises for bad input.

Every error names the input, where it went wrong (row, column, value) and how to
fix it, so that the command line can show it as one line.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a file, a parameter or a row that lockerplan cannot use.

    The message is a complete sentence that names the input and the fix; the
    command line prints it as ``error: <message>`` and exits with code 2.
    """
