FIRMWARE = "0.1.0"
PROTOCOL = 1  # bump on any incompatible change of docs/protocol.md
