"""Starts Milvus standalone (PyPI `milvus` 2.3.5) like its `milvus-server` command, with one fix.

The wrapper checks each port by binding a test socket without SO_REUSEADDR. Right after a
restart, connections from clients leave the proxy port in TIME_WAIT, that test bind fails,
and the wrapper silently moves Milvus to the NEXT port (19531 instead of 19530), where no
client looks. Milvus's own (Go) listener sets SO_REUSEADDR, so the test should too.
"""
import socket
import sys

import milvus


def try_bind_port(self, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None


milvus.MilvusServerConfig.try_bind_port = try_bind_port

if __name__ == "__main__":
    sys.argv[0] = "milvus-server"
    sys.exit(milvus.main())
