#!/usr/bin/env python3
"""A faithful, standard-library-only re-implementation of the tutorial blockchain node.

This is the Python/Flask node from the classic tutorial "build your own blockchain step by step",
rewritten on http.server so that it runs with no Flask, no requests and no internet. It exists for
blockforge's interop tests: it is the "real Python peer", so compatibility is checked by Python's own
`json` and `hashlib` (see docs/seed-protocol.md). Profiles: `seed` is the blog post's version,
`master` the tutorial repository's later revision (genesis previous_hash "1", the proof of work covers
the previous block's hash). It keeps the tutorial's weaknesses on purpose: /transactions/new checks
only that `sender`, `recipient` and `amount` are present and stores them as they came, of any JSON
type (strings, numbers of any size, true/false/null, objects, lists, and the NaN, Infinity and
-Infinity literals that Python's `json.loads` reads, as Flask's `request.get_json()` does); /chain
is written with Python's `json.dumps`, so those are written back as `NaN`, `Infinity`, `-Infinity`,
and /nodes/resolve reads them from peers. Deviations: a POST body is read as JSON whatever its
Content-Type; /transactions/new answers 400 `Missing values` to a body that is valid JSON but not an
object (Flask answers 500 there, as `k in values` or `values['sender']` raises); /nodes/resolve
fetches peers with a 5 s timeout and skips a peer on a network or JSON error.

Usage: python3 tutorial-node.py --port N [--host 127.0.0.1] [--profile seed|master] [--difficulty 4]
Prints `ready http://HOST:PORT` once listening (--port 0 picks a free port); exits on SIGTERM/SIGINT.
"""
import argparse
import hashlib
import http.client
import json
import signal
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import time
from urllib.parse import urlparse, urlsplit
from uuid import uuid4

PEER_TIMEOUT = 5
# No proxies: peers are always fetched directly, whatever the environment says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Blockchain:
    def __init__(self, profile='seed', difficulty=4):
        self.profile = profile
        self.difficulty = difficulty
        self.lock = threading.RLock()
        self.current_transactions = []
        self.chain = []
        self.nodes = set()
        # Create the genesis block
        self.new_block(previous_hash=1 if profile == 'seed' else '1', proof=100)

    def register_node(self, address):
        # The master revision's version: accepts 'http://host:port' and 'host:port'.
        parsed_url = urlparse(address)
        if parsed_url.netloc:
            self.nodes.add(parsed_url.netloc)
        elif parsed_url.path:
            self.nodes.add(parsed_url.path)
        else:
            raise ValueError('Invalid URL')

    def valid_chain(self, chain):
        # The tutorial also prints both blocks per step; left out so stdout stays the `ready` line.
        last_block = chain[0]
        current_index = 1
        while current_index < len(chain):
            block = chain[current_index]
            last_block_hash = self.hash(last_block)
            if block['previous_hash'] != last_block_hash:
                return False
            if not self.valid_proof(last_block['proof'], block['proof'], last_block_hash):
                return False
            last_block = block
            current_index += 1
        return True

    def resolve_conflicts(self):
        with self.lock:
            neighbours = list(self.nodes)
            max_length = len(self.chain)
        new_chain = None
        # Peers are fetched without holding the lock, so two nodes can resolve against each other.
        for node in neighbours:
            response = fetch_chain(node)
            if response is None:
                continue
            length = response['length']
            chain = response['chain']
            if length > max_length and self.valid_chain(chain):
                max_length = length
                new_chain = chain
        if new_chain:
            with self.lock:
                self.chain = new_chain
            return True
        return False

    def new_block(self, proof, previous_hash=None):
        block = {
            'index': len(self.chain) + 1,
            'timestamp': time(),
            'transactions': self.current_transactions,
            'proof': proof,
            'previous_hash': previous_hash or self.hash(self.chain[-1]),
        }
        self.current_transactions = []
        self.chain.append(block)
        return block

    def new_transaction(self, sender, recipient, amount):
        self.current_transactions.append({
            'sender': sender,
            'recipient': recipient,
            'amount': amount,
        })
        return self.last_block['index'] + 1

    @property
    def last_block(self):
        return self.chain[-1]

    @staticmethod
    def hash(block):
        block_string = json.dumps(block, sort_keys=True).encode()
        return hashlib.sha256(block_string).hexdigest()

    def proof_of_work(self, last_block):
        last_proof = last_block['proof']
        last_hash = self.hash(last_block)
        proof = 0
        while self.valid_proof(last_proof, proof, last_hash) is False:
            proof += 1
        return proof

    def valid_proof(self, last_proof, proof, last_hash):
        if self.profile == 'seed':
            guess = f'{last_proof}{proof}'.encode()  # seed: the previous proof only
        else:
            guess = f'{last_proof}{proof}{last_hash}'.encode()
        guess_hash = hashlib.sha256(guess).hexdigest()
        return guess_hash[:self.difficulty] == '0' * self.difficulty


def fetch_chain(node):
    """GET http://{node}/chain, read with Python's json (NaN, Infinity, -Infinity accepted, as a peer
    that stored them writes them); None (skip the peer) on a network, HTTP or JSON error."""
    try:
        with _opener.open(f'http://{node}/chain', timeout=PEER_TIMEOUT) as resp:
            if resp.status != 200:
                return None
            return json.loads(resp.read().decode('utf-8'))
    except (OSError, ValueError, http.client.HTTPException):
        return None


# ---- routes: each returns (status, body); a str body is sent as Flask sends a str, else JSON ----

def mine(values):
    with blockchain.lock:
        last_block = blockchain.last_block
        proof = blockchain.proof_of_work(last_block)
        blockchain.new_transaction(sender='0', recipient=node_identifier, amount=1)
        block = blockchain.new_block(proof)
        return 200, {
            'message': 'New Block Forged',
            'index': block['index'],
            'transactions': block['transactions'],
            'proof': block['proof'],
            'previous_hash': block['previous_hash'],
        }


def new_transaction(values):
    # The tutorial's only check: the three keys are present. Their values are stored as they are,
    # whatever their JSON type (the body was parsed by json.loads, so NaN/Infinity/-Infinity too).
    required = ['sender', 'recipient', 'amount']
    if not isinstance(values, dict) or not all(k in values for k in required):
        return 400, 'Missing values'
    with blockchain.lock:
        index = blockchain.new_transaction(values['sender'], values['recipient'], values['amount'])
    return 201, {'message': f'Transaction will be added to Block {index}'}


def full_chain(values):
    with blockchain.lock:
        return 200, {'chain': blockchain.chain, 'length': len(blockchain.chain)}


def register_nodes(values):
    nodes = values.get('nodes')
    if nodes is None:
        return 400, 'Error: Please supply a valid list of nodes'
    with blockchain.lock:
        for node in nodes:
            blockchain.register_node(node)
        return 201, {'message': 'New nodes have been added', 'total_nodes': list(blockchain.nodes)}


def consensus(values):
    if blockchain.resolve_conflicts():
        return 200, {'message': 'Our chain was replaced', 'new_chain': blockchain.chain}
    return 200, {'message': 'Our chain is authoritative', 'chain': blockchain.chain}


ROUTES = {
    ('GET', '/mine'): mine,
    ('POST', '/transactions/new'): new_transaction,
    ('GET', '/chain'): full_chain,
    ('POST', '/nodes/register'): register_nodes,
    ('GET', '/nodes/resolve'): consensus,
}


class Handler(BaseHTTPRequestHandler):
    server_version = 'tutorial-node/1'

    def handle_method(self, method):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length > 0 else b''
        path = urlsplit(self.path).path
        route = ROUTES.get((method, path))
        if route is None:
            known = any(p == path for (_, p) in ROUTES)
            return self.send(405, 'Method Not Allowed') if known else self.send(404, 'Not Found')
        values = None
        if method == 'POST':
            try:  # like request.get_json() (Python's json: NaN, Infinity, -Infinity accepted), any Content-Type
                values = json.loads(raw.decode('utf-8'))
            except (ValueError, RecursionError):
                return self.send(400, 'Bad Request: Failed to decode JSON object')
        try:
            status, body = route(values)
            is_json = not isinstance(body, str)
            with blockchain.lock:  # serialise a consistent snapshot of the state
                text = json.dumps(body) if is_json else body
        except Exception:  # what Flask does with an exception in a view
            status, text, is_json = 500, 'Internal Server Error', False
        self.send(status, text, is_json)

    def send(self, status, text, json_body=False):
        data = text.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json' if json_body else 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_method('GET')

    def do_POST(self):
        self.handle_method('POST')

    def log_message(self, format, *args):
        pass  # quiet: the test harness may not drain stderr


class Server(ThreadingHTTPServer):
    request_queue_size = 128


def main():
    global blockchain, node_identifier
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-p', '--port', type=int, default=5000, help='port to listen on (0: any free port)')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--profile', choices=['seed', 'master'], default='seed')
    parser.add_argument('--difficulty', type=int, default=4)
    args = parser.parse_args()

    node_identifier = str(uuid4()).replace('-', '')
    blockchain = Blockchain(args.profile, args.difficulty)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server = Server((args.host, args.port), Handler)
    try:
        host, port = server.server_address[:2]
        print(f'ready http://{host}:{port}', flush=True)
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == '__main__':
    sys.exit(main())
