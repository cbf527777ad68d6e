#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from test-vectors/cells.json.

Run from anywhere: `python3 fuzz/make_corpus.py`. The seeds are committed; rerun this only
when the vectors or the targets' input formats change. Input formats:
  cell_decode, cell_roundtrip        width byte (0 narrow, 1 wide) + whole cell
  relay_msg_decode, relay_msg_roundtrip  relay command byte + message body
  extend2_roundtrip                  EXTEND2 body
EXTEND and EXTENDED have no vectors, so seeds for them are assembled from the TAP cells'
fields (tor-spec 5.1.2 layouts).
"""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
vectors = json.loads((root.parent / "test-vectors" / "cells.json").read_text())


def write(target, data):
    d = root / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


tap_skin = tap_reply = rsa_id = None
for c in vectors["cells"]:
    frame = bytes.fromhex(c["cell"])
    wide = bytes([1 if c["circ_id_len"] == 4 else 0])
    for t in ("cell_decode", "cell_roundtrip"):
        write(t, wide + frame)
    if c["command"] == 1:
        tap_skin = bytes.fromhex(c["fields"]["onionskin"])
    if c["command"] == 2:
        tap_reply = bytes.fromhex(c["payload_used"])

for m in vectors["relay_messages"]:
    body = bytes.fromhex(m["body"])
    for t in ("relay_msg_decode", "relay_msg_roundtrip"):
        write(t, bytes([m["relay_command"]]) + body)
    if m["relay_command"] == 14:
        write("extend2_roundtrip", body)
        for ls in m["fields"]["link_specifiers"]:
            if ls["lstype"] == 2:
                rsa_id = bytes.fromhex(ls["lspec"])

# EXTEND (6): IPv4 192.0.2.17, ORPort 9001, TAP skin or tagged ntor skin, identity.
ntor_skin = bytes.fromhex(vectors["relay_messages"][0]["fields"]["hdata"])
addr = bytes([192, 0, 2, 17]) + (9001).to_bytes(2, "big")
for skin in (tap_skin, b"ntorNTORntorNTOR" + ntor_skin + bytes(86)):
    assert len(skin) == 186
    for t in ("relay_msg_decode", "relay_msg_roundtrip"):
        write(t, bytes([6]) + addr + skin + rsa_id)
# EXTENDED (7): the TAP reply.
for t in ("relay_msg_decode", "relay_msg_roundtrip"):
    write(t, bytes([7]) + tap_reply)
