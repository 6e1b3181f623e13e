//! The UI's `favicon.ico`, drawn in code: a 16×16 ball of yarn in a 32-bit ICO, so that no
//! binary asset has to live in the repository.

/// Edge length in pixels.
const SIZE: usize = 16;

/// The icon file: ICONDIR, one ICONDIRENTRY, then a BMP (BITMAPINFOHEADER, bottom-up BGRA
/// pixels, an all-zero AND mask: transparency comes from the alpha channel).
pub(crate) fn favicon_ico() -> Vec<u8> {
    let pixels = SIZE * SIZE * 4;
    // One bit per pixel, rows padded to 32 bits.
    let mask = SIZE * SIZE.div_ceil(32) * 4;
    let image = 40 + pixels + mask;
    let mut out = Vec::with_capacity(6 + 16 + image);
    let u16le = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let u32le = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    // ICONDIR: reserved, type 1 (icon), one image.
    u16le(&mut out, 0);
    u16le(&mut out, 1);
    u16le(&mut out, 1);
    // ICONDIRENTRY: width, height, no palette, reserved, planes, bits, size, offset.
    out.extend_from_slice(&[SIZE as u8, SIZE as u8, 0, 0]);
    u16le(&mut out, 1);
    u16le(&mut out, 32);
    u32le(&mut out, image as u32);
    u32le(&mut out, 6 + 16);
    // BITMAPINFOHEADER; the height counts the XOR and the AND bitmaps.
    u32le(&mut out, 40);
    u32le(&mut out, SIZE as u32);
    u32le(&mut out, 2 * SIZE as u32);
    u16le(&mut out, 1);
    u16le(&mut out, 32);
    u32le(&mut out, 0);
    u32le(&mut out, pixels as u32);
    out.extend_from_slice(&[0; 16]);
    for row in (0..SIZE).rev() {
        for column in 0..SIZE {
            out.extend_from_slice(&pixel(column, row));
        }
    }
    out.resize(out.len() + mask, 0);
    out
}

/// The BGRA colour at (`x`, `y`), `y` counted from the top: a disc wound with diagonal threads.
fn pixel(x: usize, y: usize) -> [u8; 4] {
    let (dx, dy) = (x as f32 - 7.5, y as f32 - 7.5);
    if dx * dx + dy * dy > 7.6 * 7.6 {
        return [0, 0, 0, 0];
    }
    if (x + y).is_multiple_of(4) || (x + 2 * SIZE - y).is_multiple_of(5) {
        // Thread: light blue.
        [0xf0, 0xc8, 0x7a, 0xff]
    } else {
        // Ball: YARN's dark blue.
        [0x8c, 0x50, 0x2c, 0xff]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_a_well_formed_16_pixel_ico() {
        let ico = favicon_ico();
        assert_eq!(&ico[..6], &[0, 0, 1, 0, 1, 0]);
        assert_eq!((ico[6], ico[7]), (16, 16));
        let size = u32::from_le_bytes([ico[14], ico[15], ico[16], ico[17]]) as usize;
        let offset = u32::from_le_bytes([ico[18], ico[19], ico[20], ico[21]]) as usize;
        assert_eq!(offset + size, ico.len());
        assert_eq!(ico.len(), 6 + 16 + 40 + 16 * 16 * 4 + 16 * 4);
        // Corners are transparent, the centre is not.
        let alpha = |x: usize, y: usize| ico[offset + 40 + ((15 - y) * 16 + x) * 4 + 3];
        assert_eq!(alpha(0, 0), 0);
        assert_eq!(alpha(8, 8), 0xff);
    }
}
