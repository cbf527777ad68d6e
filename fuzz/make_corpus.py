#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from test-vectors/cells.json.

Run from anywhere: `python3 fuzz/make_corpus.py`. The seeds are committed; rerun this only
when the vectors or the targets' input formats change. Input formats:
  cell_decode, cell_roundtrip        width byte (0 narrow, 1 wide) + whole cell
  relay_msg_decode, relay_msg_roundtrip  relay command byte + message body
  extend2_roundtrip                  EXTEND2 body
  handshake targets (ntor_*, ntor_v3_*, fast_*, tap_*)  see fuzz/src/<handshake>.rs: a mode
      byte, then the mode's data. Seeds: every vector and reject vector that matches the
      target's fixed keys (mode 0), zero masks and single-byte / single-bit masks over a valid
      message, truncated and extended (mutate modes), and hand-made messages for the
      message and plaintext modes.
  hs_ntor_service_batch              no mode byte: batch size - 1, a flags byte, then per cell a
      mask length and mask (see fuzz/src/hs_ntor.rs, `service_respond_batch`).
EXTEND and EXTENDED have no vectors, so seeds for them are assembled from the TAP cells'
fields (tor-spec 5.1.2 layouts).
"""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent


def load(name):
    return json.loads((root.parent / "test-vectors" / name).read_text())


vectors = load("cells.json")


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


# ---- Handshake targets. Modes and fixed keys are documented in fuzz/src/<handshake>.rs.
def masks(n, positions):
    """Mutate-mode masks over an n-byte message: none, one flipped bit or byte at each
    position (negative positions count from the end), truncated by one, extended by one."""
    out = [bytes(n), bytes(n - 1), bytes(n + 1)]
    for pos, bits in positions:
        m = bytearray(n)
        m[pos] = bits
        out.append(bytes(m))
    return out


def seed(target, mode, data):
    write(target, bytes([mode]) + data)


def cases(name):
    return load(name)["cases"]


# ntor: relay and client of case ntor-1-0; the previous onion key is case ntor-1-1's.
ntor = cases("ntor.json")
ntor_reject = cases("ntor_reject.json")
n0 = ntor[0]
assert all(c["node_id"] == n0["node_id"] for c in ntor_reject)
skin0 = bytes.fromhex(n0["onionskin"])
for mode in (0, 2):
    seed("ntor_relay_respond", mode, skin0)
    for c in ntor_reject:
        if c["side"] == "server":
            seed("ntor_relay_respond", mode, bytes.fromhex(c["onionskin"]))
# A skin for the previous onion key.
seed("ntor_relay_respond", 0, skin0[:20] + bytes.fromhex(ntor[1]["B"]) + skin0[52:])
for m in masks(84, [(0, 1), (20, 1), (52, 1), (83, 0x80), (83, 0x01)]):
    seed("ntor_relay_respond", 1, m)
seed("ntor_client_finish", 0, bytes.fromhex(n0["reply"]))
for c in ntor_reject:
    if c["side"] == "client":
        assert c["x"] == n0["x"]
        seed("ntor_client_finish", 0, bytes.fromhex(c["reply"]))
for m in masks(64, [(0, 1), (31, 0x80), (32, 1), (63, 1)]):
    seed("ntor_client_finish", 1, m)

# ntor-v3: relay and client of case ntor3-1-1 (VER 96fe, congestion-control messages).
v3 = cases("ntor_v3.json")
v3_reject = cases("ntor_v3_reject.json")
v1 = v3[1]
assert v1["CM"] == "010100" and v1["SM"] == "0102011f" and v1["VER"] == "96fe"
seed("ntor_v3_relay_respond", 0, bytes.fromhex(v1["onionskin"]))
for c in v3_reject:
    assert c["ID"] == v1["ID"]
    if c["side"] == "server":
        seed("ntor_v3_relay_respond", 0, bytes.fromhex(c["onionskin"]))
    else:
        seed("ntor_v3_client_finish", 0, bytes.fromhex(c["reply"]))
for m in masks(131, [(0, 1), (32, 1), (64, 1), (95, 0x80), (96, 1), (98, 1), (130, 1)]):
    seed("ntor_v3_relay_respond", 1, m)
extension_messages = [
    b"",
    bytes([0]),
    bytes([1, 1, 0]),  # congestion-control request
    bytes([1, 2, 1, 31]),  # congestion-control response
    bytes([1, 2, 0]),  # response without its sendme_inc
    bytes([2, 0x42, 2]) + b"zz" + bytes([1, 0]),  # unknown field first
    bytes([2, 1, 0, 1, 0]),  # the request twice
    bytes([2, 1, 0]),  # count says two, one present
    bytes([1, 1, 5, 0]),  # field longer than the message
    bytes([1, 1, 0]) + b"trailing",
    bytes([255]) + bytes([7, 0]) * 255,  # the most fields a count allows
] + [bytes.fromhex(c["CM"]) for c in v3] + [bytes.fromhex(c["SM"]) for c in v3]
for msg in extension_messages:
    seed("ntor_v3_relay_respond", 2, msg)
    seed("ntor_v3_relay_respond", 3, msg)
    seed("ntor_v3_client_finish", 2, msg)
seed("ntor_v3_relay_respond", 2, bytes(377))  # the longest client message
seed("ntor_v3_client_finish", 2, bytes(432))  # the longest relay message
seed("ntor_v3_client_finish", 0, bytes.fromhex(v1["reply"]))
for m in masks(68, [(0, 1), (31, 0x80), (32, 1), (64, 1), (67, 1)]):
    seed("ntor_v3_client_finish", 1, m)

# CREATE_FAST: the vectors' X values (alone, and with a one-byte mask); the client of
# case fast-1-0.
fast = cases("create_fast.json")
for c in fast:
    x = bytes.fromhex(c["X"])
    write("fast_relay_respond", x)
    write("fast_relay_respond", x + bytes([1]))
write("fast_relay_respond", bytes(19))
write("fast_relay_respond", bytes(41))
seed("fast_client_finish", 0, bytes.fromhex(fast[0]["reply"]))
for c in cases("create_fast_reject.json"):
    assert c["X"] == fast[0]["X"]
    seed("fast_client_finish", 0, bytes.fromhex(c["reply"]))
for m in masks(40, [(0, 1), (19, 1), (20, 1), (39, 1)]):
    seed("fast_client_finish", 1, m)

# TAP: relay with case tap-1-0's onion key (previous: tap-1-1's); client with tap-1-0's x.
tap = cases("tap.json")
tap_reject = cases("tap_reject.json")
t0 = tap[0]
p = int(next(c for c in tap_reject if c["id"].endswith("gx_p"))["gx"], 16)
for c in tap[:2]:
    seed("tap_relay_respond", 0, bytes.fromhex(c["onionskin"]))
for c in tap_reject:
    if c["side"] == "server":
        assert c["onion_key"]["n"] == t0["onion_key"]["n"]
        seed("tap_relay_respond", 0, bytes.fromhex(c["onionskin"]))
    else:
        assert c["x"] == t0["x"]
        seed("tap_client_finish", 0, bytes.fromhex(c["reply"]))
for m in masks(186, [(0, 1), (127, 1), (128, 1), (185, 1)]):
    seed("tap_relay_respond", 1, m)
k = bytes.fromhex(t0["sym_key_K"])
oaep_seed = bytes.fromhex(t0["oaep_seed"])
for gx in [int(t0["gx"], 16), 0, 1, 2, p - 2, p - 1, p, 2**1024 - 1]:
    seed("tap_relay_respond", 2, k + gx.to_bytes(128, "big") + oaep_seed)
em = bytes.fromhex(t0["oaep_encoded_EM"])
tail = bytes.fromhex(t0["onionskin"])[128:]
seed("tap_relay_respond", 3, em + tail)
seed("tap_relay_respond", 3, em[:1] + bytes([em[1] ^ 1]) + em[2:] + tail)
seed("tap_client_finish", 0, bytes.fromhex(t0["reply"]))
for m in masks(148, [(0, 1), (127, 1), (128, 1), (147, 1)]):
    seed("tap_client_finish", 1, m)
for gy in [int(t0["gy"], 16), p - int(t0["gy"], 16), 0, 1, 2, p - 2, p - 1, p, 2**1024 - 1]:
    seed("tap_client_finish", 2, gy.to_bytes(128, "big"))

# hs-ntor: service with case hs_ntor-1-3's AUTH_KEY, b and subcredentials; client with its x.
hs = cases("hs_ntor.json")
hs_reject = cases("hs_ntor_reject.json")
h3 = hs[3]
hs_body = bytes.fromhex(h3["introduce1_body"])
hs_header_len = len(h3["header"]) // 2
seed("hs_ntor_service_respond", 0, hs_body)
seed("hs_ntor_service_respond", 3, bytes([hs_header_len]) + hs_body)
seed("hs_ntor_service_respond", 3, bytes([hs_header_len + 1]) + hs_body)
for c in hs_reject:
    assert c["auth_key"] == h3["auth_key"] and c["B"] == h3["B"]
    if c["side"] == "service":
        cell = bytes.fromhex(c["header"]) + bytes.fromhex(c["encrypted"])
        seed("hs_ntor_service_respond", 0, cell)
        seed("hs_ntor_service_respond", 3, bytes([len(c["header"]) // 2]) + cell)
    else:
        assert c["x"] == h3["x"]
        seed("hs_ntor_client_finish", 0, bytes.fromhex(c["handshake_info"]))
        seed("hs_ntor_client_finish", 2, bytes.fromhex(c["handshake_info"]))
# The harness client's body: a 56-byte header, X, the 12-byte plaintext, the MAC.
for m in masks(56 + 32 + 12 + 32, [(0, 1), (20, 1), (23, 1), (55, 1), (56, 1), (87, 0x80),
                                   (88, 1), (99, 1), (100, 1), (131, 1)]):
    seed("hs_ntor_service_respond", 1, m)
plaintexts = [b"", b"x", bytes(200)] + [
    bytes.fromhex(c["plaintext"]) for c in hs if c["plaintext_fields"] is not None
] + [bytes.fromhex(hs[7]["plaintext"])]
for pt in plaintexts:
    seed("hs_ntor_service_respond", 2, pt)
seed("hs_ntor_client_finish", 0, bytes.fromhex(h3["handshake_info"]))
seed("hs_ntor_client_finish", 2, bytes.fromhex(h3["handshake_info"]) + b"trailing")
for m in masks(64, [(0, 1), (31, 0x80), (32, 1), (63, 1)]):
    seed("hs_ntor_client_finish", 1, m)
# Parsers for embedders (fuzz/src/formats.rs).
# key_formats: mode 0 secret_onion_key_ntor, 1 ed25519_master_id_public_key, 2 ntor-onion-key
# text, 3 RSA key DER, 4 RSA key PEM. The onion key is case ntor-1-0's.
import base64
onion_header = b"== c25519v1: onion ==".ljust(32, b"\0")
ed_header = b"== ed25519v1-public: type0 ==".ljust(32, b"\0")
n0 = ntor[0]
onion_file = onion_header + bytes.fromhex(n0["b"]) + bytes.fromhex(n0["B"])
seed("key_formats", 0, onion_file)
seed("key_formats", 0, onion_file[:95])
seed("key_formats", 0, onion_file[:-1] + bytes([onion_file[-1] ^ 1]))
seed("key_formats", 1, ed_header + bytes.fromhex(v1["ID"]))
seed("key_formats", 1, onion_header + bytes.fromhex(v1["ID"]))
b64 = base64.b64encode(bytes.fromhex(n0["B"]))
seed("key_formats", 2, b64)
seed("key_formats", 2, b64.rstrip(b"="))
seed("key_formats", 2, b" " + b64 + b"\n")
seed("key_formats", 2, b64[:-2] + b"!=")
rsa_der = bytes.fromhex(t0["onion_key"]["private_der_pkcs1"])
seed("key_formats", 3, rsa_der)
seed("key_formats", 3, rsa_der[:100])
pem_body = base64.b64encode(rsa_der)
pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + b"\n".join(
    pem_body[i:i + 64] for i in range(0, len(pem_body), 64)
) + b"\n-----END RSA PRIVATE KEY-----\n"
seed("key_formats", 4, pem)
# ntor_v3_extensions: an extension list (no mode byte).
for msg in [b"\0", bytes([1, 1, 0]), bytes([1, 2, 1, 31]), bytes([1, 3, 2, 2, 5]),
            bytes([1, 3, 3, 2, 5, 1]), bytes([3, 1, 0, 2, 0, 0x42, 2, 7, 7]), bytes([2, 1])]:
    write("ntor_v3_extensions", msg)
# dispatch_relay_respond: cell command, then body. CREATE_FAST (5), CREATE2 (10) with the ntor
# and ntor-v3 vector skins (the relay shares one onion key, so only ntor's fits), CREATE (1)
# with a tagged ntor skin, and a DESTROY (4).
write("dispatch_relay_respond", bytes([5]) + bytes(range(20)))
ntor_skin0 = bytes.fromhex(n0["onionskin"])
write("dispatch_relay_respond", bytes([10, 0, 2, 0, 84]) + ntor_skin0)
v3_skin = bytes.fromhex(v1["onionskin"])
write("dispatch_relay_respond", bytes([10, 0, 3, 0, len(v3_skin)]) + v3_skin)
write("dispatch_relay_respond", bytes([1]) + b"ntorNTORntorNTOR" + ntor_skin0)
write("dispatch_relay_respond", bytes([1]) + bytes.fromhex(t0["onionskin"]))
write("dispatch_relay_respond", bytes([4, 1]))

# Channel cells: a link-protocol byte (0 negotiating, 1: v3, 2: v4, 3: v5) and a stream.
# A link handshake as a relay sends it (VERSIONS framed while negotiating, then CERTS,
# AUTH_CHALLENGE, NETINFO and PADDING on v5), each vector cell on its own link, and cuts.
def var_cell(circ_len, cmd, body):
    return bytes(circ_len) + bytes([cmd]) + len(body).to_bytes(2, "big") + body


def fixed_cell(circ_len, cmd, body):
    return bytes(circ_len) + bytes([cmd]) + body + bytes(509 - len(body))


versions = var_cell(2, 7, bytes([0, 3, 0, 4, 0, 5]))
certs = var_cell(4, 129, bytes([2, 7, 0, 3, 1, 2, 3, 2, 0, 0]))
challenge = var_cell(4, 130, bytes(range(32)) + bytes([0, 2, 0, 1, 0, 3]))
netinfo = fixed_cell(4, 8, bytes([0x5f, 0, 0, 1, 4, 4, 127, 0, 0, 1, 2, 6, 16]) + bytes(15) + bytes([1, 9, 0]))
padding = fixed_cell(4, 0, b"")
vpadding = var_cell(4, 128, bytes(7))
write("channel_cells", bytes([0]) + versions)
write("channel_cells", bytes([3]) + certs + challenge + netinfo + padding + vpadding)
write("channel_cells", bytes([3]) + certs + challenge[:20])
write("channel_cells", bytes([1]) + fixed_cell(2, 8, bytes([0, 0, 0, 0, 4, 4, 10, 0, 0, 1, 0])))
for c in vectors["cells"]:
    link = c["link_protocol"]
    write("channel_cells", bytes([{3: 1, 4: 2, 5: 3}[link]]) + bytes.fromhex(c["cell"]))

# Relay cells and relay crypto: the tor1 vectors' plaintexts; for the relay side, a key seed,
# a bit to flip, then those plaintexts.
tor1 = load("tor1.json")
plaintexts = [bytes.fromhex(cell["payload"]) for case in tor1["cases"] for cell in case["cells"]]
for p in plaintexts[:12]:
    write("relay_cell_roundtrip", p)
write("relay_cell_roundtrip", bytes([2, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xf3]) + bytes(498))
for i in range(4):
    write("relay_crypto_relay", bytes(range(i, i + 32)) + bytes([i * 37]) + b"".join(plaintexts[i * 3:i * 3 + 3]))

# hs_ntor_service_batch: seventeen valid cells, with and without the clients' subcredential;
# twelve with two cut short; nine, the last chunk's one cell with a bit flipped in its header.
write("hs_ntor_service_batch", bytes([16, 1]))
write("hs_ntor_service_batch", bytes([16, 0]))
write("hs_ntor_service_batch", bytes([11, 1, 0, 1, 1, 0, 5, 0, 0, 0, 0, 1]))
write("hs_ntor_service_batch", bytes([8, 1] + [0] * 8 + [3, 0, 0, 0x80]))
