"""Exporters from recorded pose samples to other tools' formats: pure functions, no file or socket I/O.

``chan`` (Nuke channel file), ``csv_export`` (spreadsheet), ``opentrackio_export`` (OpenTrackIO 1.0 JSON).
"""


class ExportError(ValueError):
    """The samples cannot be exported as asked; the message is one line."""
