"""Advanced electronic signatures (docs/SIGNATURES.md): PAdES-signed PDFs
uploaded by each party and validated with pyHanko against the office's trust
store, bound byte for byte to the frozen PDF that legal approved; the city's
server-side e-seal; and offline reports on the document of record."""
