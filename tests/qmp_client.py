# A small QMP client for the tests (the python3 scripts inside tests/kvm/*.sh import it with
# sys.path.insert(0, ROOT + "/tests")): a Unix or TCP socket, the greeting, negotiation,
# commands with their replies, and events kept until asked for.
import codecs, json, socket, time

_dec = json.JSONDecoder()


class Gone(Exception):
    """The server closed the connection."""


class Client:
    def __init__(self, path=None, tcp=None, negotiate=True, timeout=10):
        if tcp:
            self.s = socket.create_connection(tcp, timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.settimeout(timeout)
            self.s.connect(path)
        self.timeout = timeout
        self.buf, self.events = "", []
        self.utf8 = codecs.getincrementaldecoder("utf-8")()  # a read may end inside a character
        self.greeting = self.msg()
        if negotiate:
            self.cmd("qmp_capabilities")

    def msg(self):
        """The next message, or None once the server has closed the connection."""
        while True:
            t = self.buf.lstrip()
            if t:
                try:
                    m, end = _dec.raw_decode(t)
                    self.buf = t[end:]
                    return m
                except ValueError:
                    pass
            data = self.s.recv(65536)
            if not data:
                return None
            self.buf += self.utf8.decode(data)

    def send(self, obj):
        self.s.sendall(obj if isinstance(obj, bytes) else json.dumps(obj).encode())

    def reply(self):
        """The next message that is not an event (events are kept for event())."""
        while True:
            m = self.msg()
            if m is None or "event" not in m:
                return m
            self.events.append(m)

    def cmd(self, name, args=None, id=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        if id is not None:
            req["id"] = id
        self.send(req)
        return self.reply()

    def event(self, name, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                m = self.msg()
            except socket.timeout:
                continue
            finally:
                self.s.settimeout(self.timeout)
            if m is None:
                return None
            if "event" in m:
                self.events.append(m)
        return None


def connect(path, deadline_s=30, alive=lambda: True, cls=Client, **kw):
    """Connect once the socket exists (rasvm is starting); None if it never does."""
    end = time.time() + deadline_s
    while time.time() < end and alive():
        try:
            return cls(path, **kw)
        except OSError:
            time.sleep(0.02)
    return None
