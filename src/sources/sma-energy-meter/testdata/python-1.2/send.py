"""Sends ../hm20-protocol-doc.hex to 127.0.0.1:9522 (unicast) ten times a second for `seconds`."""
import socket, sys, time
data = bytes.fromhex(open(sys.argv[1]).read().strip())
seconds = float(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + seconds
while time.time() < end:
    sock.sendto(data, ("127.0.0.1", 9522))
    time.sleep(0.1)
