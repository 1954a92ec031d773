import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { imageDimensions } from '../../plugin/files/dimensions.ts'

// A thumbnail's width and height come from the image's own header (docs/features.md#send-file),
// so the transcript keeps its place while pictures load.

function chunk (type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)])
}

/** A PNG header for width × height, with `pad` bytes of image data after it. */
function pngOf (width: number, height: number, pad = 0): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 6, 0, 0, 0], 8)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(pad)), chunk('IEND', Buffer.alloc(0))])
}

t.test('imageDimensions: read from PNG, GIF, JPEG and WebP headers', async (t) => {
  const dir = t.testdir()
  const sized = async (name: string, type: string, bytes: Buffer) => {
    const path = join(dir, name)
    await writeFile(path, bytes)
    return await imageDimensions(path, type)
  }
  t.same(await sized('a.png', 'image/png', pngOf(640, 480)), { width: 640, height: 480 })
  t.same(await sized('a.gif', 'image/gif', Buffer.concat([Buffer.from('GIF89a'), Buffer.from([0x20, 0x03, 0x58, 0x02]), Buffer.alloc(20)])), { width: 800, height: 600 })

  // A JPEG whose frame header comes after a 40 KB metadata block, as a camera's does.
  const jpeg = Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe1]), Buffer.from([(40_000 >> 8) & 0xff, 40_000 & 0xff]), Buffer.alloc(40_000 - 2),
    Buffer.from([0xff, 0xc4, 0x00, 0x04, 0x00, 0x00]),
    Buffer.from([0xff, 0xc2, 0x00, 0x11, 0x08, 0x0b, 0xb8, 0x0f, 0xa0, 0x03]), Buffer.alloc(16)
  ])
  t.same(await sized('a.jpg', 'image/jpeg', jpeg), { width: 4000, height: 3000 }, 'a progressive frame after metadata and a table')

  const riff = (fourcc: string, body: Buffer) => Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), Buffer.from(fourcc, 'latin1'), Buffer.alloc(4), body])
  const vp8x = Buffer.alloc(10)
  vp8x.writeUIntLE(1919, 4, 3)
  vp8x.writeUIntLE(1079, 7, 3)
  t.same(await sized('x.webp', 'image/webp', riff('VP8X', vp8x)), { width: 1920, height: 1080 })
  const vp8l = Buffer.alloc(5)
  vp8l[0] = 0x2f
  vp8l.writeUInt32LE((99) | (49 << 14), 1)
  t.same(await sized('l.webp', 'image/webp', riff('VP8L', vp8l)), { width: 100, height: 50 })
  const vp8 = Buffer.alloc(10)
  vp8.writeUInt16LE(320, 6)
  vp8.writeUInt16LE(240, 8)
  t.same(await sized('v.webp', 'image/webp', riff('VP8 ', vp8)), { width: 320, height: 240 })

  t.equal(await sized('cut.png', 'image/png', pngOf(1, 1).subarray(0, 20)), null, 'a header cut short says nothing')
  t.equal(await sized('zero.png', 'image/png', pngOf(0, 10)), null, 'nor one of no size')
  t.equal(await sized('bad.jpg', 'image/jpeg', Buffer.from([0xff, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])), null, 'nor a JPEG whose markers are broken')
})
