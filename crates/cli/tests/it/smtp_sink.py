"""A real SMTP server on a free loopback port, for the mail tests: aiosmtpd (PyPI) receives each
message and writes it, decoded, to DIR as N.txt (From, To and Subject lines, a blank line, the plain
text body). Prints the port on its first line of output, then serves until killed."""
import asyncio
import email
import email.policy
import pathlib
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        self.count += 1
        text = (
            f"From: {envelope.mail_from}\n"
            f"To: {', '.join(envelope.rcpt_tos)}\n"
            f"Subject: {msg['subject']}\n\n{body}"
        )
        tmp = self.out / f".{self.count}.tmp"
        tmp.write_text(text)
        tmp.rename(self.out / f"{self.count}.txt")
        return "250 Message accepted"


async def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    sink = Sink(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
