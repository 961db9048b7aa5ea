"""Error types that the command line maps to exit codes (see DESIGN.md)."""


class BadInput(Exception):
    """A problem with the user's input (config, data, arguments): exit code 2.

    The message is one line that names the file, field or value at fault.
    """
