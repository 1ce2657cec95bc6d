"""The one error type every extractor raises for bad input."""


class InputError(Exception):
    """The input cannot be read safely or is not what it claims to be.

    The message is one line that names the problem; the CLI prints it and exits with 2.
    """
