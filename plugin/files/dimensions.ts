import { open } from 'node:fs/promises'

/** Width and height in pixels, as the file's own header states them. */
export interface Dimensions { width: number, height: number }

/**
 * JPEG keeps its size in the frame header, after any metadata (a camera's EXIF block and
 * its preview can take tens of kilobytes); a header further in than this is not looked for.
 */
const scanBytes = 256 * 1024

function jpeg (b: Buffer): Dimensions | null {
  let i = 2
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null
    const marker = b[i + 1]!
    // Fill bytes, and markers that carry no length.
    if (marker === 0xff) { i++; continue }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue }
    // SOF0–SOF15 but DHT (c4), JPG (c8) and DAC (cc): the frame header.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) }
    }
    i += 2 + b.readUInt16BE(i + 2)
  }
  return null
}

function webp (b: Buffer): Dimensions | null {
  const chunk = b.toString('latin1', 12, 16)
  if (chunk === 'VP8 ' && b.length >= 30) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21)
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X' && b.length >= 30) return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 }
  return null
}

function read (type: string, b: Buffer): Dimensions | null {
  switch (type) {
    case 'image/png': return b.length >= 24 ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : null
    case 'image/gif': return b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : null
    case 'image/jpeg': return jpeg(b)
    case 'image/webp': return webp(b)
  }
  return null
}

/**
 * The pixel size of a PNG, JPEG, GIF or WebP, from its header: the transcript gives a
 * thumbnail its width and height so nothing moves when it loads. Null when the header
 * says nothing believable (a damaged file is still sent, shown without the attributes).
 */
export async function imageDimensions (path: string, type: string): Promise<Dimensions | null> {
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(type === 'image/jpeg' ? scanBytes : 64)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    const found = read(type, buffer.subarray(0, bytesRead))
    return found && found.width > 0 && found.height > 0 && found.width <= 65535 && found.height <= 65535 ? found : null
  } finally {
    await file.close()
  }
}
