/**
 * The browser wallet's {@link KeyStore} in IndexedDB: database `blockforge-wallet`, object store
 * `keys`, one encrypted keystore per address. Apart from wallet-keys.ts, whose logic the unit tests
 * run in Node (which has no IndexedDB).
 */

import type { KeyStore, StoredKey } from './wallet-keys.js';

const DB_NAME = 'blockforge-wallet';
const DB_STORE = 'keys';

/** The page's {@link KeyStore}: IndexedDB database `blockforge-wallet`, object store `keys`. */
export class IndexedDbKeyStore implements KeyStore {
  private db: Promise<IDBDatabase> | null = null;

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(DB_STORE, { keyPath: 'address' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB did not open'));
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    this.db.catch(() => {
      this.db = null;
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(DB_STORE, mode);
      const request = work(tx.objectStore(DB_STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDB failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  }

  async list(): Promise<StoredKey[]> {
    const all = (await this.run('readonly', (s) => s.getAll())) as StoredKey[];
    return all.sort((a, b) => a.added - b.added);
  }
  async get(address: string): Promise<StoredKey | undefined> {
    return (await this.run('readonly', (s) => s.get(address))) as StoredKey | undefined;
  }
  async put(key: StoredKey): Promise<void> {
    await this.run('readwrite', (s) => s.put(key));
  }
  async remove(address: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(address));
  }
}
