// An independent verifier of C2SP tlog-cosignature v1 (Ed25519), written from the
// specification text (c2sp.org/tlog-cosignature, c2sp.org/signed-note) with Node's built-in
// crypto only; it shares no code with the Python implementation it checks.
//
//   node cosignature_verify.mjs VKEY < signed-checkpoint-note
//
// Prints "ok <name> <timestamp>" and exits 0 when the note carries a valid cosignature by
// VKEY; prints the reason and exits 1 otherwise.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

function die(message) {
  process.stdout.write(`fail ${message}\n`);
  process.exit(1);
}

const vkey = process.argv[2] ?? die("usage: cosignature_verify.mjs VKEY < note");
const first = vkey.indexOf("+");
const second = vkey.indexOf("+", first + 1);
if (first < 1 || second < 0) die("a vkey is name+keyid+base64");
const name = vkey.slice(0, first);
const keyHex = vkey.slice(first + 1, second);
const material = Buffer.from(vkey.slice(second + 1), "base64");
if (material.length !== 33 || material[0] !== 0x04) die("not a type 0x04 Ed25519 vkey");
const publicKey = material.subarray(1);

// key ID = SHA-256(name || "\n" || 0x04 || public key)[:4]
const keyId = createHash("sha256")
  .update(Buffer.concat([Buffer.from(name + "\n", "utf8"), Buffer.from([0x04]), publicKey]))
  .digest()
  .subarray(0, 4);
if (keyId.toString("hex") !== keyHex.toLowerCase()) die("the vkey's key id does not match");

const note = readFileSync(0, "utf8");
const split = note.lastIndexOf("\n\n");
if (split < 0) die("no blank line before the signatures");
const body = note.slice(0, split + 1); // the note text, with its final newline
const lines = note.slice(split + 2).split("\n").filter((l) => l !== "");

const key = createPublicKey({
  key: { kty: "OKP", crv: "Ed25519", x: publicKey.toString("base64url") },
  format: "jwk",
});

for (const line of lines) {
  if (!line.startsWith("\u2014 ")) die("a signature line starts with an em dash and a space");
  const [lineName, b64] = line.slice(2).split(" ");
  const raw = Buffer.from(b64 ?? "", "base64");
  if (lineName !== name || raw.length < 4 || !raw.subarray(0, 4).equals(keyId)) continue;
  // timestamped_signature: u64 big-endian timestamp || 64-byte Ed25519 signature
  if (raw.length !== 4 + 8 + 64) die("a cosignature is key id, 8-byte time, 64-byte signature");
  const timestamp = raw.readBigUInt64BE(4);
  if (timestamp === 0n || timestamp > 2n ** 63n - 1n) die("timestamp out of range");
  const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${body}`, "utf8");
  if (verify(null, message, key, raw.subarray(12))) {
    process.stdout.write(`ok ${name} ${timestamp}\n`);
    process.exit(0);
  }
  die("the cosignature does not verify");
}
die(`no cosignature by ${name}`);
