#!/usr/bin/env python3
"""Recomputes the ledger's known-answer vectors (test/fixtures/ledger/) from docs/ledger-protocol.md
alone: a second implementation, in Python's standard library, that shares no code with blockforge.

It checks header hashes (canonical JSON), the signed payment message and payment ids, reward ids,
RFC 6962 merkle roots and audit paths, account ids and bech32m addresses (BIP 350), ASERT targets,
and replays chain.json block by block: links, targets, proof of work, median time, merkle roots,
rewards, nonces, balances, maturity and the final state. Ed25519 is not in the standard library:
signatures are not verified here (the TypeScript test checks them).

Usage: python3 scripts/ledger-vectors-check.py [VECTOR_DIR]. Prints one line per file; exits 1 and
prints FAIL lines when anything differs.
"""

import hashlib
import json
import os
import sys

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
    return condition


def sha256(data):
    return hashlib.sha256(data).digest()


def canonical(value):
    """The protocol's canonical JSON: Python's own json.dumps with sorted keys."""
    return json.dumps(value, sort_keys=True)


def u64be(n):
    return n.to_bytes(8, "big")


# ---- bech32m (BIP 350 reference) ----

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


def bech32_polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def convertbits(data, frombits, tobits, pad):
    acc, bits, out = 0, 0, []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or ((acc << (tobits - bits)) & maxv)):
        raise ValueError("bad padding")
    return out


def encode_address(hrp, account_id):
    data = convertbits(account_id, 8, 5, True)
    polymod = bech32_polymod(hrp_expand(hrp) + data + [0] * 6) ^ BECH32M_CONST
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def decode_address(hrp, address):
    """The 20-byte account id an address names; ValueError for anything else."""
    if address != address.lower():
        raise ValueError("not lower case")
    cut = address.rfind("1")
    data = [CHARSET.find(c) for c in address[cut + 1 :]]
    if address[:cut] != hrp or -1 in data or len(data) < 6:
        raise ValueError("another prefix or not bech32")
    if bech32_polymod(hrp_expand(hrp) + data) != BECH32M_CONST:
        raise ValueError("bad checksum")
    account_id = bytes(convertbits(data[:-6], 5, 8, False))
    if len(account_id) != 20:
        raise ValueError("not 20 bytes")
    return account_id


def account_id_of(public_key):
    return sha256(public_key)[:20]


# ---- Transactions ----


def payment_message(chain, sender, to_id, amount, fee, nonce):
    return b"BFTX1" + chain + sender + to_id + u64be(amount) + u64be(fee) + u64be(nonce)


def payment_id(tx, hrp):
    message = payment_message(
        bytes.fromhex(tx["chain"]),
        bytes.fromhex(tx["from"]),
        decode_address(hrp, tx["to"]),
        int(tx["amount"]),
        int(tx["fee"]),
        int(tx["nonce"]),
    )
    return sha256(message + bytes.fromhex(tx["sig"])).hex()


def coinbase_preimage(height, to_id, amount):
    return b"BFCB1" + u64be(height) + to_id + u64be(amount)


def coinbase_id(tx, hrp):
    return sha256(coinbase_preimage(tx["coinbase"], decode_address(hrp, tx["to"]), int(tx["amount"]))).hex()


def tx_id(tx, hrp):
    return coinbase_id(tx, hrp) if "coinbase" in tx else payment_id(tx, hrp)


# ---- Merkle tree (RFC 6962) ----


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(entries):
    if not entries:
        return sha256(b"")
    if len(entries) == 1:
        return sha256(b"\x00" + entries[0])
    k = split(len(entries))
    return sha256(b"\x01" + merkle_root(entries[:k]) + merkle_root(entries[k:]))


def audit_path(index, entries):
    if len(entries) <= 1:
        return []
    k = split(len(entries))
    if index < k:
        return audit_path(index, entries[:k]) + [merkle_root(entries[k:])]
    return audit_path(index - k, entries[k:]) + [merkle_root(entries[:k])]


def verify_inclusion(entry, index, size, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, sha256(b"\x00" + entry)
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = sha256(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


# ---- Difficulty (ASERT, anchored at block 2) ----

MAX_TARGET = 2**256 - 1


def asert(anchor_target, anchor_height, anchor_time, parent_height, parent_time, block_time, half_life):
    # Python's // floors and >> is arithmetic on negative numbers: exactly the protocol's integer math.
    exponent = ((parent_time - anchor_time - block_time * (parent_height - anchor_height)) * 65536) // half_life
    shifts = exponent >> 16
    frac = exponent & 0xFFFF
    factor = 65536 + ((195766423245049 * frac + 971821376 * frac**2 + 5127 * frac**3 + 2**47) >> 48)
    target = anchor_target * factor
    target = target << shifts if shifts >= 0 else target >> -shifts
    target >>= 16
    return min(max(target, 1), MAX_TARGET)


def max_target_of(genesis):
    return min(int(genesis["initial_target"], 16) * 16, MAX_TARGET)


def next_target(genesis, times, parent_height):
    """Target of the block after `parent_height`; times[h] is block h's time."""
    initial = int(genesis["initial_target"], 16)
    if parent_height < 2:
        return initial
    target = asert(
        initial, 2, times[2], parent_height, times[parent_height], genesis["block_time"], genesis["half_life"]
    )
    return min(target, max_target_of(genesis))


def work_of(target):
    return 2**256 // (target + 1)


def header_hash(header):
    return hashlib.sha256(canonical(header).encode("ascii")).hexdigest()


# ---- The files ----


def load(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return json.load(f)


def check_keys(v):
    for k in v["keys"]:
        public = bytes.fromhex(k["public"])
        check(account_id_of(public).hex() == k["account_id"], f"keys: account id of {k['public']}")
        for hrp, address in k["addresses"].items():
            check(encode_address(hrp, account_id_of(public)) == address, f"keys: address {address}")
            check(decode_address(hrp, address).hex() == k["account_id"], f"keys: decode {address}")
    return len(v["keys"])


def check_payments(v):
    hrp = v["hrp"]
    for c in v["cases"]:
        f = c["fields"]
        to_id = decode_address(hrp, f["to"])
        check(to_id.hex() == f["to_id"], f"payment {c['id']}: to id")
        message = payment_message(
            bytes.fromhex(f["chain"]),
            bytes.fromhex(f["from"]),
            to_id,
            int(f["amount"]),
            int(f["fee"]),
            int(f["nonce"]),
        )
        check(len(message) == 113, f"payment {c['id']}: message length")
        check(message.hex() == c["message"], f"payment {c['id']}: message bytes")
        check(sha256(message + bytes.fromhex(c["sig"])).hex() == c["id"], f"payment {c['id']}: id")
        expected = {key: f[key] for key in ("amount", "chain", "fee", "from", "nonce", "to")}
        expected["sig"] = c["sig"]
        check(c["json"] == expected, f"payment {c['id']}: json fields")
        check(canonical(c["json"]) == c["canonical"], f"payment {c['id']}: canonical text")
        check(payment_id(c["json"], hrp) == c["id"], f"payment {c['id']}: id from json")
    return len(v["cases"])


def check_coinbases(v):
    hrp = v["hrp"]
    for c in v["cases"]:
        to_id = decode_address(hrp, c["to"])
        check(to_id.hex() == c["to_id"], f"coinbase {c['id']}: to id")
        preimage = coinbase_preimage(c["height"], to_id, int(c["amount"]))
        check(len(preimage) == 41 and preimage.hex() == c["preimage"], f"coinbase {c['id']}: preimage")
        check(sha256(preimage).hex() == c["id"], f"coinbase {c['id']}: id")
        check(c["json"] == {"amount": c["amount"], "coinbase": c["height"], "to": c["to"]}, f"coinbase {c['id']}: json")
        check(canonical(c["json"]) == c["canonical"], f"coinbase {c['id']}: canonical text")
    return len(v["cases"])


def check_merkle(v):
    entries = [bytes.fromhex(e) for e in v["entries"]]
    for k, e in enumerate(entries):
        check(sha256(str(k).encode("ascii")) == e, f"merkle: entry {k}")
    for n, root in enumerate(v["roots"]):
        check(merkle_root(entries[:n]).hex() == root, f"merkle: root of {n}")
    for p in v["proofs"]:
        size, index = p["size"], p["index"]
        path = [bytes.fromhex(x) for x in p["path"]]
        check(audit_path(index, entries[:size]) == path, f"merkle: path of {index} in {size}")
        root = bytes.fromhex(v["roots"][size])
        check(verify_inclusion(entries[index], index, size, path, root), f"merkle: verify {index} in {size}")
        if size > 1:
            other = (index + 1) % size
            check(not verify_inclusion(entries[other], index, size, path, root), f"merkle: refuse {other} as {index}")
    return len(v["proofs"])


def check_headers(v):
    for c in v["cases"]:
        h = c["json"]
        check(canonical(h) == c["canonical"], f"header {c['hash']}: canonical text")
        check(header_hash(h) == c["hash"], f"header {c['hash']}: hash")
        target = int(h["target"], 16)
        check(str(work_of(target)) == c["work"], f"header {c['hash']}: work")
        check((int(c["hash"], 16) <= target) == c["meets_target"], f"header {c['hash']}: proof of work")
    return len(v["cases"])


def check_retarget(v):
    genesis = v["genesis"]
    check(f"{max_target_of(genesis):064x}" == v["max_target"], "retarget: max target")
    times = {p["height"]: p["time"] for p in v["parents"]}
    for p in v["parents"]:
        got = f"{next_target(genesis, times, p['height']):064x}"
        check(got == p["next_target"], f"retarget: after {p['height']}: {got} != {p['next_target']}")
    return len(v["parents"])


def block_reward(genesis, height):
    reward, interval = int(genesis["reward"]), genesis["halving_interval"]
    if interval == 0:
        return reward
    halvings = (height - 2) // interval
    return 0 if halvings >= 64 else reward >> halvings


def genesis_block(genesis):
    hrp = genesis["hrp"]
    txs = [{"amount": a["amount"], "coinbase": 1, "to": a["address"]} for a in genesis["allocations"]]
    header = {
        "height": 1,
        "merkle": merkle_root([bytes.fromhex(tx_id(tx, hrp)) for tx in txs]).hex(),
        "nonce": 0,
        "parent": "0" * 64,
        "target": genesis["initial_target"],
        "time": genesis["time"],
        "version": 1,
    }
    return {"header": header, "transactions": txs}


def check_chain(v):
    """Replays the chain by the rules of docs/ledger-protocol.md sections 4-8 (signatures aside)."""
    genesis, blocks = v["genesis"], v["chain"]
    hrp, maturity = genesis["hrp"], genesis["maturity"]
    check(blocks[0] == genesis_block(genesis), "chain: the genesis block is not the one its file makes")
    chain_id = header_hash(blocks[0]["header"])
    check(chain_id == v["chain_id"], "chain: chain id")
    state = {}

    def account(address):
        text = state.get("a/" + address)
        if text is None:
            return 0, 0
        value = json.loads(text)
        return int(value["balance"]), int(value["nonce"])

    def put_account(address, balance, nonce):
        if balance == 0 and nonce == 0:
            state.pop("a/" + address, None)
        else:
            state["a/" + address] = canonical({"balance": str(balance), "nonce": str(nonce)})

    def credit(address, amount):
        balance, nonce = account(address)
        check(balance + amount <= 2**63 - 1, f"chain: {address} over 2^63 - 1")
        put_account(address, balance + amount, nonce)

    for tx in blocks[0]["transactions"]:
        credit(tx["to"], int(tx["amount"]))
    times, hashes, work = {1: genesis["time"]}, [chain_id], work_of(int(genesis["initial_target"], 16))
    for position, block in enumerate(blocks[1:], start=2):
        h, txs = block["header"], block["transactions"]
        where = f"chain: block {position}"
        check(sorted(block) == ["header", "transactions"], f"{where}: keys")
        check(sorted(h) == ["height", "merkle", "nonce", "parent", "target", "time", "version"], f"{where}: header keys")
        check(h["version"] == 1 and h["height"] == position, f"{where}: version, height (L1, L2)")
        check(h["parent"] == hashes[-1], f"{where}: parent (L3)")
        target = next_target(genesis, times, position - 1)
        check(h["target"] == f"{target:064x}", f"{where}: target (L4)")
        block_hash = header_hash(h)
        check(int(block_hash, 16) <= target, f"{where}: proof of work (L5)")
        recent = sorted(times[k] for k in range(max(1, position - 11), position))
        check(h["time"] > recent[len(recent) // 2], f"{where}: time after the median of the last 11 (L6)")
        ids = [bytes.fromhex(tx_id(tx, hrp)) for tx in txs]
        check(h["merkle"] == merkle_root(ids).hex(), f"{where}: merkle root (L7)")
        check(len(txs) <= 10_000 and len(canonical(block)) <= 4 * 1024 * 1024, f"{where}: size (L12)")
        reward = txs[0]
        check(reward.get("coinbase") == position, f"{where}: the first transaction is its reward (L8)")
        check(all("coinbase" not in tx for tx in txs[1:]), f"{where}: one reward (L8)")
        # 1. A reward locked `maturity` blocks ago is spendable from this block on.
        lock = state.pop(f"l/{position}", None)
        if lock is not None:
            credit(json.loads(lock)["to"], int(json.loads(lock)["amount"]))
        # 2. Payments, in order.
        fees = 0
        for tx in txs[1:]:
            check(tx["chain"] == chain_id, f"{where}: payment signed for this chain (L9)")
            sender = encode_address(hrp, account_id_of(bytes.fromhex(tx["from"])))
            amount, fee = int(tx["amount"]), int(tx["fee"])
            balance, nonce = account(sender)
            check(int(tx["nonce"]) == nonce, f"{where}: nonce (L10)")
            check(balance >= amount + fee, f"{where}: balance (L11)")
            put_account(sender, balance - amount - fee, nonce + 1)
            credit(tx["to"], amount)
            fees += fee
        # 3. The reward: at most the block reward plus the fees, locked until it matures.
        check(int(reward["amount"]) <= block_reward(genesis, position) + fees, f"{where}: reward amount (L8)")
        if int(reward["amount"]) > 0:
            if maturity == 0:
                credit(reward["to"], int(reward["amount"]))
            else:
                state[f"l/{position + maturity}"] = canonical({"amount": reward["amount"], "to": reward["to"]})
        times[position] = h["time"]
        hashes.append(block_hash)
        work += work_of(target)
    check(hashes == v["block_hashes"], "chain: block hashes")
    check(str(work) == v["work"], "chain: total work")
    check(state == v["state"], f"chain: final state {json.dumps(state, indent=1, sort_keys=True)}")
    return len(blocks)


def check_tampered(v, valid):
    """Each tampered chain equals the valid one before its named block, and differs at it."""
    for c in v["cases"]:
        block, chain = c["block"], c["chain"]
        check(len(chain) >= block, f"tampered {c['name']}: has its block {block}")
        check(chain[: block - 1] == valid["chain"][: block - 1], f"tampered {c['name']}: blocks before {block} kept")
        check(chain[block - 1] != valid["chain"][block - 1], f"tampered {c['name']}: block {block} changed")
    return len(v["cases"])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "test", "fixtures", "ledger")
    chain = load(directory, "chain.json")
    checks = [
        ("keys.json", check_keys),
        ("payment.json", check_payments),
        ("coinbase.json", check_coinbases),
        ("merkle.json", check_merkle),
        ("header.json", check_headers),
        ("retarget.json", check_retarget),
        ("chain.json", check_chain),
        ("tampered.json", lambda v: check_tampered(v, chain)),
    ]
    for name, run in checks:
        before = len(FAILURES)
        try:
            count = run(load(directory, name))
        except Exception as err:  # a vector that cannot even be read is a failure, named
            FAILURES.append(f"{name}: {type(err).__name__}: {err}")
            count = 0
        print(f"{'FAIL' if len(FAILURES) > before else 'ok'}  {name}: {count} checked")
    for failure in FAILURES:
        print(f"FAIL: {failure}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
