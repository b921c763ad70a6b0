"""The dispatch bench's SMTP sink: a process that accepts messages and discards them.

bench/dispatch.py starts it with sink_process(); run on its own it serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import subprocess
import sys
from collections.abc import Iterator

HOST = "127.0.0.1"
SINK_TIMEOUT = 30.0  # seconds for the sink to come up / answer


class SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to accept messages and discard them; XSTA reports the count and bytes."""

    count = 0
    size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0  # where to look for the end of DATA next, so no byte is scanned twice
        self.transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n", self.scanned)
                if end < 0:
                    self.scanned = max(0, len(self.buffer) - 4)
                    return
                SinkProtocol.count += 1
                SinkProtocol.size += end
                del self.buffer[: end + 5]
                self.in_data, self.scanned = False, 0
                self.transport.write(b"250 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: end + 2]
            self.transport.write(self.reply(verb))
            if verb == b"QUIT":
                self.transport.close()
                return

    def reply(self, verb: bytes) -> bytes:
        """The answer to one command line."""
        if verb == b"EHLO":
            return b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        if verb == b"DATA":
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"QUIT":
            return b"221 Bye\r\n"
        if verb == b"XSTA":
            return f"250 {SinkProtocol.count} {SinkProtocol.size}\r\n".encode()
        if verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            return b"250 OK\r\n"
        return b"500 Unknown command\r\n"


def serve_sink() -> None:
    """Run the sink on a free loopback port; print the port; stop when stdin closes."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(SinkProtocol, HOST, 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        # The parent holds our stdin: when it goes away (even killed), so do we.
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(main())


@contextlib.contextmanager
def sink_process() -> Iterator[int]:
    """Start the sink in its own process; its port. Stopped on exit."""
    process = subprocess.Popen(
        [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            sys.exit("the SMTP sink did not start")
        yield int(line)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sink_stats(port: int) -> tuple[int, int]:
    """(messages, bytes) the sink has received so far."""
    with smtplib.SMTP(HOST, port, timeout=SINK_TIMEOUT) as smtp:
        _code, reply = smtp.docmd("XSTA")
    count, size = reply.decode().split()
    return int(count), int(size)


if __name__ == "__main__":
    serve_sink()
