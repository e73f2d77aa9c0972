#!/usr/bin/env python3
"""Python reference for blockforge's chain-validation benchmark.

Times the tutorial node's `valid_chain` ("build your own blockchain step by step"), verbatim: once
with the tutorial's three `print` calls per block (stdout sent to os.devnull while timed) and once
identical but without them. `seed` is the blog post's version, `master` the repository's later one.

Usage: python3 tutorial-valid-chain.py FILE [--profile seed|master] [--repeat N] [--difficulty 4]
       python3 tutorial-valid-chain.py FILE --once prints|no-prints
FILE is a saved `/chain` response ({"chain": [...], "length": n}). Prints one JSON line. With
`--once`: the script as a whole, as one would run it to check a file (json.load, then valid_chain
once, with or without its prints), printing `valid` or `invalid` last: timed from outside.
"""
import argparse
import contextlib
import hashlib
import json
import os
import sys
import time


class Blockchain:
    def __init__(self, profile, difficulty):
        self.zeros = '0' * difficulty
        self.difficulty = difficulty
        self.valid_chain = self.valid_chain_seed if profile == 'seed' else self.valid_chain_master
        self.valid_chain_no_prints = (self.valid_chain_seed_no_prints if profile == 'seed'
                                      else self.valid_chain_master_no_prints)

    @staticmethod
    def hash(block):
        block_string = json.dumps(block, sort_keys=True).encode()
        return hashlib.sha256(block_string).hexdigest()

    def valid_proof_seed(self, last_proof, proof):
        guess = f'{last_proof}{proof}'.encode()
        guess_hash = hashlib.sha256(guess).hexdigest()
        return guess_hash[:self.difficulty] == self.zeros  # tutorial: guess_hash[:4] == "0000"

    def valid_proof_master(self, last_proof, proof, last_hash):
        guess = f'{last_proof}{proof}{last_hash}'.encode()
        guess_hash = hashlib.sha256(guess).hexdigest()
        return guess_hash[:self.difficulty] == self.zeros

    # ---- seed (blog post) ----
    def valid_chain_seed(self, chain):
        last_block = chain[0]
        current_index = 1
        while current_index < len(chain):
            block = chain[current_index]
            print(f'{last_block}')
            print(f'{block}')
            print("\n-----------\n")
            # Check that the hash of the block is correct
            if block['previous_hash'] != self.hash(last_block):
                return False
            # Check that the Proof of Work is correct
            if not self.valid_proof_seed(last_block['proof'], block['proof']):
                return False
            last_block = block
            current_index += 1
        return True

    def valid_chain_seed_no_prints(self, chain):
        last_block = chain[0]
        current_index = 1
        while current_index < len(chain):
            block = chain[current_index]
            if block['previous_hash'] != self.hash(last_block):
                return False
            if not self.valid_proof_seed(last_block['proof'], block['proof']):
                return False
            last_block = block
            current_index += 1
        return True

    # ---- master (repository) ----
    def valid_chain_master(self, chain):
        last_block = chain[0]
        current_index = 1
        while current_index < len(chain):
            block = chain[current_index]
            print(f'{last_block}')
            print(f'{block}')
            print("\n-----------\n")
            # Check that the hash of the block is correct
            last_block_hash = self.hash(last_block)
            if block['previous_hash'] != last_block_hash:
                return False
            # Check that the Proof of Work is correct
            if not self.valid_proof_master(last_block['proof'], block['proof'], last_block_hash):
                return False
            last_block = block
            current_index += 1
        return True

    def valid_chain_master_no_prints(self, chain):
        last_block = chain[0]
        current_index = 1
        while current_index < len(chain):
            block = chain[current_index]
            last_block_hash = self.hash(last_block)
            if block['previous_hash'] != last_block_hash:
                return False
            if not self.valid_proof_master(last_block['proof'], block['proof'], last_block_hash):
                return False
            last_block = block
            current_index += 1
        return True


def best_of(repeat, fn, *args):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('file', help='a saved /chain response')
    parser.add_argument('--profile', choices=['seed', 'master'], default='seed')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--difficulty', type=int, default=4)
    parser.add_argument('--once', choices=['prints', 'no-prints'])
    args = parser.parse_args()
    if args.once:
        with open(args.file, 'rb') as f:
            response = json.load(f)
        chain = response['chain'] if isinstance(response, dict) else response
        blockchain = Blockchain(args.profile, args.difficulty)
        check = blockchain.valid_chain if args.once == 'prints' else blockchain.valid_chain_no_prints
        print('valid' if check(chain) else 'invalid')
        return 0
    if args.repeat < 1:
        parser.error('--repeat must be at least 1')

    def load():
        with open(args.file, 'rb') as f:
            return json.load(f)
    parse_seconds, response = best_of(args.repeat, load)
    chain = response['chain'] if isinstance(response, dict) else response

    blockchain = Blockchain(args.profile, args.difficulty)
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):
        with_prints, valid = best_of(args.repeat, blockchain.valid_chain, chain)
    no_prints, valid_np = best_of(args.repeat, blockchain.valid_chain_no_prints, chain)
    assert valid == valid_np, 'the two variants disagree'

    n = len(chain)
    print(json.dumps({
        'blocks': n,
        'valid': valid,
        'parse_seconds': parse_seconds,
        'seconds_with_prints': with_prints,
        'seconds_no_prints': no_prints,
        'blocks_per_second_with_prints': n / with_prints if with_prints > 0 else None,
        'blocks_per_second_no_prints': n / no_prints if no_prints > 0 else None,
    }))


if __name__ == '__main__':
    sys.exit(main())
