"""The one error type of the data layer: it names the file and says what was expected."""


class DataError(ValueError):
    """Bad input data: a missing, unreadable or inconsistent file, or an empty selection."""
