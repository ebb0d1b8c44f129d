"""Multipart request bodies are taken whole or refused.

Django's multipart parser accepts a body that stops before its closing boundary (a connection
dropped mid-upload, a client bug): the last file is silently dropped and the last field is kept
cut short, so a message would be sent without its attachment or with half its text. The first
upload handler (settings.FILE_UPLOAD_HANDLERS) parses with the other handlers while watching the
stream, and refuses such a body with MultiPartParserError: a 400 on the pages (Django) and in
the API (DRF's "Multipart form parse error").
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser, MultiPartParserError

CUT_SHORT = "the request body ended before its closing boundary (the upload was cut short)"


class _CloseDelimiterWatch:
    """A request body stream that notes whether the multipart close delimiter went by."""

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._delimiter = b"\r\n--" + boundary + b"--"
        self._tail = b"\r\n"  # a body with no part at all starts with the close delimiter
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data and not self.closed:
            window = self._tail + data
            self.closed = self._delimiter in window
            self._tail = window[-(len(self._delimiter) - 1) :]
        return data


class WholeMultipartUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        watched = _CloseDelimiterWatch(input_data, boundary)
        others = [handler for handler in self.request.upload_handlers if handler is not self]
        post, files = MultiPartParser(META, watched, others, encoding).parse()
        if not watched.closed:
            for _name, uploads in files.lists():
                for upload in uploads:
                    upload.close()
            raise MultiPartParserError(CUT_SHORT)
        return post, files

    # Never reached (handle_raw_input parses the whole body); a pass-through all the same.
    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
