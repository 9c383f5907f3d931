// An independent tlog-tiles client, written from the specification texts (c2sp.org/tlog-tiles,
// c2sp.org/tlog-checkpoint, c2sp.org/signed-note, RFC 6962 section 2.1, RFC 9162 section
// 2.1.3-2.1.4) with Node's built-in fetch and crypto only; it shares no code with the Python
// implementation it checks.
//
//   node tlog_tiles_client.mjs PREFIX VKEY [--previous SIZE:BASE64ROOT] [BUNDLE.json ...]
//
// It fetches PREFIX/checkpoint and verifies the log's Ed25519 signature with VKEY; fetches
// every tile (full and partial, every level) and every entry bundle of that tree; checks that
// each entry hashes to its level-0 tile hash and each upper tile hash is the hash of the full
// tile below; recomputes the root from the tiles and, separately, from the entries' leaf
// hashes, and compares both to the checkpoint. With --previous, it proves the tree consistent
// with an earlier checkpoint (an RFC 9162 consistency proof built from tiles). For each proof
// bundle (`anjian audit proof` output), it builds the inclusion proof of its leaf from tiles,
// requires it to equal the bundle's, and verifies it against the root at the bundle's size.
//
// Prints one JSON line and exits 0 when everything holds; prints "fail <reason>" and exits 1
// otherwise.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

function die(message) {
  process.stdout.write(`fail ${message}\n`);
  process.exit(1);
}

const sha256 = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leafHash = (entry) => sha256(Buffer.from([0x00]), entry);
const nodeHash = (left, right) => sha256(Buffer.from([0x01]), left, right);

// -- arguments ---------------------------------------------------------------------------------
const args = process.argv.slice(2);
const prefix = (args.shift() ?? die("usage: PREFIX VKEY [--previous SIZE:ROOT] [BUNDLE...]"))
  .replace(/\/+$/, "");
const vkey = args.shift() ?? die("no vkey");
let previous = null;
const bundleFiles = [];
while (args.length) {
  const arg = args.shift();
  if (arg === "--previous") {
    const [size, root] = (args.shift() ?? "").split(":");
    previous = { size: BigInt(size), root: Buffer.from(root ?? "", "base64") };
  } else bundleFiles.push(arg);
}

// -- HTTP --------------------------------------------------------------------------------------
let fetched = 0;
async function get(path, kind) {
  const response = await fetch(`${prefix}/${path}`, {
    headers: { "Accept-Encoding": "gzip, identity" },
  });
  fetched++;
  if (response.status !== 200) die(`${path}: HTTP ${response.status}`);
  const type = response.headers.get("content-type") ?? "";
  if (type !== kind) die(`${path}: Content-Type ${type}, not ${kind}`);
  return Buffer.from(await response.arrayBuffer());
}

async function all(items, fn, parallel = 8) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

// -- signed note (c2sp.org/signed-note) and checkpoint (c2sp.org/tlog-checkpoint) -------------
function parseVkey(text) {
  const first = text.indexOf("+");
  const second = text.indexOf("+", first + 1);
  if (first < 1 || second < 0) die("a vkey is name+keyid+base64");
  const name = text.slice(0, first);
  const material = Buffer.from(text.slice(second + 1), "base64");
  if (material.length !== 33 || material[0] !== 0x01) die("not a type 0x01 Ed25519 vkey");
  const publicKey = material.subarray(1);
  // key ID = SHA-256(name || "\n" || 0x01 || public key)[:4]
  const keyId = sha256(Buffer.from(name + "\n", "utf8"), material).subarray(0, 4);
  if (keyId.toString("hex") !== text.slice(first + 1, second).toLowerCase()) {
    die("the vkey's key id does not match its name and key");
  }
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: publicKey.toString("base64url") },
    format: "jwk",
  });
  return { name, keyId, key };
}

function openCheckpoint(note, signer) {
  if (!note.endsWith("\n")) die("a note ends with a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) die("no blank line before the signatures");
  const body = note.slice(0, split + 1);
  const signatures = note.slice(split + 2, -1).split("\n");
  let signed = false;
  for (const line of signatures) {
    if (!line.startsWith("\u2014 ")) die("a signature line starts with an em dash and a space");
    const [name, b64, extra] = line.slice(2).split(" ");
    if (extra !== undefined || !b64) die("a signature line is name and base64");
    const raw = Buffer.from(b64, "base64");
    if (name !== signer.name || raw.length < 4 || !raw.subarray(0, 4).equals(signer.keyId)) {
      continue; // another signer's line (a witness's cosignature)
    }
    if (raw.length !== 68) die("an Ed25519 note signature is key id and 64 bytes");
    if (!verify(null, Buffer.from(body, "utf8"), signer.key, raw.subarray(4))) {
      die("the log's signature does not verify");
    }
    signed = true;
  }
  if (!signed) die(`no signature by ${signer.name}`);
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) die("a checkpoint has an origin, a size and a root");
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) die(`not a tree size: ${sizeText}`);
  const root = Buffer.from(rootText, "base64");
  if (root.length !== 32 || root.toString("base64") !== rootText) die("not a base64 root");
  return { origin, size: BigInt(sizeText), root, lines: signatures.length };
}

// -- tiles (c2sp.org/tlog-tiles) ---------------------------------------------------------------
function indexPath(n) {
  const groups = [];
  do {
    groups.unshift(String(n % 1000n).padStart(3, "0"));
    n /= 1000n;
  } while (n > 0n);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}
const tilePath = (level, n, width) =>
  `tile/${level}/${indexPath(n)}${width < 256 ? `.p/${width}` : ""}`;
const bundlePath = (n, width) => `tile/entries/${indexPath(n)}${width < 256 ? `.p/${width}` : ""}`;

function hashesOf(blob, width, path) {
  if (blob.length !== 32 * width) die(`${path}: ${blob.length} bytes, not ${32 * width}`);
  return Array.from({ length: width }, (_, i) => blob.subarray(32 * i, 32 * (i + 1)));
}

function entriesOf(blob, width, path) {
  const out = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 2 > blob.length) die(`${path}: a truncated length`);
    const length = blob.readUInt16BE(at);
    if (at + 2 + length > blob.length) die(`${path}: a truncated entry`);
    out.push(blob.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (out.length !== width) die(`${path}: ${out.length} entries, not ${width}`);
  return out;
}

// The tiles of the tree of `size` leaves: for each level, its full tiles and its partial one.
function layout(size) {
  const out = [];
  for (let level = 0; size >> BigInt(8 * level) > 0n; level++) {
    const count = size >> BigInt(8 * level);
    for (let n = 0n; n < count / 256n; n++) out.push({ level, n, width: 256 });
    if (count % 256n) out.push({ level, n: count / 256n, width: Number(count % 256n) });
  }
  return out;
}

// A perfect 2**r-hash run folded into its subtree hash.
function fold(hashes) {
  let level = hashes;
  while (level.length > 1) {
    const up = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i], level[i + 1]));
    level = up;
  }
  return level[0];
}

// -- RFC 6962 section 2.1 over the tiles ---------------------------------------------------------
const largestPowerBelow = (n) => {
  let k = 1n;
  while (k << 1n < n) k <<= 1n;
  return k;
};

function makeTree(tiles) {
  // MTH(D[lo:hi]); a perfect aligned range is read from one tile, the rest recursively.
  function mth(lo, hi) {
    const n = hi - lo;
    if (n === 0n) return sha256(Buffer.alloc(0));
    if ((n & (n - 1n)) === 0n && lo % n === 0n) {
      const k = BigInt(n.toString(2).length - 1);
      const t = k / 8n;
      const r = k % 8n;
      const j = lo >> (8n * t);
      const tile = tiles.get(`${t}/${j / 256n}`);
      const offset = Number(j % 256n);
      const span = 1 << Number(r);
      if (!tile || offset + span > tile.length) die(`no tile holds node (${k}, ${lo >> k})`);
      return fold(tile.slice(offset, offset + span));
    }
    const k = largestPowerBelow(n);
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi));
  }
  // PATH(m, D[lo:hi]) (RFC 6962 section 2.1.1)
  function path(m, lo, hi) {
    const n = hi - lo;
    if (n <= 1n) return [];
    const k = largestPowerBelow(n);
    if (m < k) return [...path(m, lo, lo + k), mth(lo + k, hi)];
    return [...path(m - k, lo + k, hi), mth(lo, lo + k)];
  }
  // SUBPROOF(m, D[lo:hi], b) (RFC 6962 section 2.1.2)
  function subproof(m, lo, hi, b) {
    const n = hi - lo;
    if (m === n) return b ? [] : [mth(lo, hi)];
    const k = largestPowerBelow(n);
    if (m <= k) return [...subproof(m, lo, lo + k, b), mth(lo + k, hi)];
    return [...subproof(m - k, lo + k, hi, false), mth(lo, lo + k)];
  }
  return {
    root: (size) => mth(0n, size),
    inclusion: (index, size) => path(index, 0n, size),
    consistency: (m, n) => (m === 0n || m === n ? [] : subproof(m, 0n, n, true)),
  };
}

// MTH over all leaf hashes, straight from the definition (no tiles).
function rootOfLeaves(hashes, lo = 0, hi = hashes.length) {
  const n = hi - lo;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return hashes[lo];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(rootOfLeaves(hashes, lo, lo + k), rootOfLeaves(hashes, lo + k, hi));
}

// RFC 9162 section 2.1.3.2
function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if (fn % 2n === 1n || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2n === 0n) {
        while (fn % 2n === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else r = nodeHash(r, p);
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

// RFC 9162 section 2.1.4.2
function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0n || first > second) return false;
  let path = proof;
  if ((first & (first - 1n)) === 0n) path = [firstRoot, ...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while (fn % 2n === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  if (path.length === 0) return false;
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if (fn % 2n === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2n === 0n) {
        while (fn % 2n === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else sr = nodeHash(sr, c);
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0n;
}

// -- follow the log --------------------------------------------------------------------------
const signer = parseVkey(vkey);
const note = (await get("checkpoint", "text/plain; charset=utf-8")).toString("utf8");
const checkpoint = openCheckpoint(note, signer);
const size = checkpoint.size;
if (size === 0n) die("an empty tree has no tiles to check");

const wanted = layout(size);
const blobs = await all(wanted, (t) => get(tilePath(t.level, t.n, t.width), "application/octet-stream"));
const tiles = new Map();
wanted.forEach((t, i) => {
  tiles.set(`${t.level}/${t.n}`, hashesOf(blobs[i], t.width, tilePath(t.level, t.n, t.width)));
});

// Each hash of an upper tile is the hash of the full tile it stands for.
for (const t of wanted.filter((t) => t.level > 0)) {
  const hashes = tiles.get(`${t.level}/${t.n}`);
  hashes.forEach((h, i) => {
    const below = tiles.get(`${t.level - 1}/${t.n * 256n + BigInt(i)}`);
    if (!below || below.length !== 256) die(`tile ${t.level}/${t.n}: no full tile below ${i}`);
    if (!fold(below).equals(h)) die(`tile ${t.level}/${t.n}: hash ${i} is not its tile's`);
  });
}

// Entry bundles: each entry hashes to its level-0 tile hash.
const level0 = wanted.filter((t) => t.level === 0);
const bundles = await all(level0, (t) => get(bundlePath(t.n, t.width), "application/octet-stream"));
const entries = [];
const leafHashes = [];
level0.forEach((t, i) => {
  const tile = tiles.get(`0/${t.n}`);
  entriesOf(bundles[i], t.width, bundlePath(t.n, t.width)).forEach((entry, j) => {
    const h = leafHash(entry);
    if (!h.equals(tile[j])) die(`entry ${t.n * 256n + BigInt(j)} does not hash to its tile hash`);
    entries.push(entry);
    leafHashes.push(h);
  });
});
if (BigInt(entries.length) !== size) die(`${entries.length} entries for a tree of ${size}`);

const tree = makeTree(tiles);
if (!tree.root(size).equals(checkpoint.root)) die("the root from the tiles is not the checkpoint's");
if (!rootOfLeaves(leafHashes).equals(checkpoint.root)) {
  die("the root from the entries is not the checkpoint's");
}

// Inclusion of a few leaves in the checkpoint's tree, proofs built from tiles.
const probes = [0n, size / 2n, size - 1n, 255n, 256n, 65535n, 65536n].filter((i) => i < size);
for (const index of probes) {
  const proof = tree.inclusion(index, size);
  if (!verifyInclusion(index, size, leafHashes[Number(index)], proof, checkpoint.root)) {
    die(`the inclusion proof of leaf ${index} built from tiles does not verify`);
  }
}

let consistent = null;
if (previous) {
  if (previous.size > size) die("the previous checkpoint is larger than this one");
  const proof = tree.consistency(previous.size, size);
  consistent = verifyConsistency(previous.size, size, previous.root, checkpoint.root, proof);
  if (!consistent) die(`the tree is not consistent with the previous one of ${previous.size}`);
}

// Proof bundles: the inclusion proof from tiles equals the bundle's and verifies.
for (const file of bundleFiles) {
  const bundle = JSON.parse(readFileSync(file, "utf8"));
  const index = BigInt(bundle.leaf_index);
  const at = BigInt(bundle.tree_size);
  if (at > size) die(`${file}: its tree (${at}) is beyond the checkpoint (${size})`);
  const leaf = Buffer.from(bundle.leaf, "base64");
  if (!leaf.equals(entries[Number(index)])) die(`${file}: its leaf is not entry ${index}`);
  const proof = tree.inclusion(index, at);
  const theirs = bundle.inclusion_proof.map((h) => Buffer.from(h, "base64"));
  if (proof.length !== theirs.length || !proof.every((h, i) => h.equals(theirs[i]))) {
    die(`${file}: the inclusion proof from tiles differs from the bundle's`);
  }
  const root = tree.root(at);
  const bundled = bundle.checkpoint.split("\n")[2];
  if (root.toString("base64") !== bundled) die(`${file}: the root at ${at} is not its checkpoint's`);
  if (!verifyInclusion(index, at, leafHash(leaf), proof, root)) {
    die(`${file}: the inclusion proof does not verify`);
  }
}

process.stdout.write(
  `${JSON.stringify({
    ok: true,
    origin: checkpoint.origin,
    size: Number(size),
    root: checkpoint.root.toString("base64"),
    signature_lines: checkpoint.lines,
    tiles: wanted.map((t) => tilePath(t.level, t.n, t.width)),
    entries: entries.length,
    inclusion_probes: probes.length,
    bundles: bundleFiles.length,
    consistent_with_previous: consistent,
    fetched,
  })}\n`,
);
