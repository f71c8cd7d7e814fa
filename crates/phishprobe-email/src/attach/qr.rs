//! QR codes in images.

/// Whether an image of `w` x `h` pixels can show a QR code a phone would scan: at least
/// 40 pixels on its short side (21 modules plus quiet zone) and no more than 3:1 wide or tall
/// (a code inside a poster-like image still leaves it roughly square; a banner is not).
pub fn qr_plausible(w: u32, h: u32) -> bool {
    let (short, long) = (w.min(h), w.max(h));
    short >= 40 && long <= short.saturating_mul(3) && u64::from(w) * u64::from(h) <= QR_MAX_PIXELS
}

/// Longest side an image is scanned at: a code that fills a tenth of the picture still gets
/// 3 pixels per module, and the cost of the scan stays flat whatever the photo's size.
const QR_MAX_SIDE: u32 = 800;
/// Pictures above this many pixels (a 16-megapixel photo) are not decoded at all.
const QR_MAX_PIXELS: u64 = 16_000_000;

/// Greyscale copy of `img`, no longer than `max` on either side, by nearest-neighbour
/// sampling straight from the 8-bit buffer: only the sampled pixels are converted (integer
/// BT.601 weights), instead of converting every pixel and then resampling.
fn downscaled_luma(img: &image::DynamicImage, max: u32) -> image::GrayImage {
    use image::DynamicImage as D;
    let (w, h) = (img.width(), img.height());
    let long = w.max(h).max(1);
    let (tw, th) = if long > max {
        (
            (u64::from(w) * u64::from(max) / u64::from(long)).max(1) as u32,
            (u64::from(h) * u64::from(max) / u64::from(long)).max(1) as u32,
        )
    } else {
        (w, h)
    };
    let luma = |r: u8, g: u8, b: u8| -> u8 {
        ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
    };
    // Source column of each target column and source row of each target row, computed once
    // (nearest neighbour: `x * w / tw`).
    let xs: Vec<usize> = (0..tw)
        .map(|x| ((u64::from(x) * u64::from(w) / u64::from(tw)) as u32).min(w - 1) as usize)
        .collect();
    let size = Sampling {
        w,
        h,
        tw,
        th,
        xs: &xs,
    };
    match img {
        D::ImageRgb8(b) => size.sample::<3>(b.as_raw(), |[r, g, b]| luma(r, g, b)),
        D::ImageRgba8(b) => size.sample::<4>(b.as_raw(), |[r, g, b, a]| {
            // Transparent pixels over a white page.
            let a = u32::from(a);
            let v = u32::from(luma(r, g, b));
            ((v * a + 255 * (255 - a)) / 255) as u8
        }),
        D::ImageLuma8(b) => size.sample::<1>(b.as_raw(), |[v]| v),
        other => {
            let g = other.to_luma8();
            if (tw, th) == (w, h) {
                g
            } else {
                size.sample::<1>(g.as_raw(), |[v]| v)
            }
        }
    }
}

/// A nearest-neighbour resampling from `w` x `h` to `tw` x `th`, with the source column of
/// each target column (`xs`) worked out once.
struct Sampling<'a> {
    w: u32,
    h: u32,
    tw: u32,
    th: u32,
    xs: &'a [usize],
}

impl Sampling<'_> {
    /// The grey image sampled from `raw`, rows of `w` pixels of `C` bytes each, `pixel`
    /// turning one pixel's bytes into grey. Row by row over slices, with the pixel format a
    /// constant, so each format gets its own tight loop.
    fn sample<const C: usize>(
        &self,
        raw: &[u8],
        pixel: impl Fn([u8; C]) -> u8,
    ) -> image::GrayImage {
        let (w, h, tw, th) = (self.w, self.h, self.tw, self.th);
        let stride = w as usize * C;
        let mut buf = Vec::with_capacity(tw as usize * th as usize);
        for y in 0..th {
            let sy = ((u64::from(y) * u64::from(h) / u64::from(th)) as u32).min(h - 1) as usize;
            let row = raw.get(sy * stride..(sy + 1) * stride).unwrap_or(&[]);
            buf.extend(self.xs.iter().map(|&sx| {
                row.get(sx * C..(sx + 1) * C)
                    .and_then(|p| <[u8; C]>::try_from(p).ok())
                    .map_or(255, &pixel)
            }));
        }
        image::GrayImage::from_raw(tw, th, buf).unwrap_or_else(|| image::GrayImage::new(tw, th))
    }
}

/// Texts of the QR codes in an image (PNG, JPEG, GIF). Large images are downscaled first so
/// one picture costs at most a few milliseconds; undecodable images give nothing.
pub fn qr_texts(data: &[u8]) -> Vec<String> {
    use image::ImageReader;
    // The header alone says whether the picture can hold a scannable code: a QR code is
    // square, so banners, spacer lines and tiny icons are skipped without decoding pixels
    // (most of the cost of image-heavy newsletters).
    let Ok(probe) = ImageReader::new(std::io::Cursor::new(data)).with_guessed_format() else {
        return Vec::new();
    };
    let Ok((w, h)) = probe.into_dimensions() else {
        return Vec::new();
    };
    if !qr_plausible(w, h) {
        return Vec::new();
    }
    let Ok(reader) = ImageReader::new(std::io::Cursor::new(data)).with_guessed_format() else {
        return Vec::new();
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8000);
    limits.max_image_height = Some(8000);
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = reader;
    reader.limits(limits);
    let Ok(img) = reader.decode() else {
        return Vec::new();
    };
    // Logos and spacer pixels cannot hold a QR code.
    if img.width() < 21 || img.height() < 21 {
        return Vec::new();
    }
    let luma = downscaled_luma(&img, QR_MAX_SIDE);
    drop(img);
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let black = adaptive_threshold(luma.as_raw(), w, h);
    drop(luma);
    let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| {
        black.get(y * w + x).copied().unwrap_or(false)
    });
    let mut out = Vec::new();
    for grid in prepared.detect_grids().into_iter().take(4) {
        if let Ok((_, text)) = grid.decode() {
            out.push(text);
        }
    }
    out
}

/// Which pixels of a `w` x `h` grey image are black: `rqrr`'s adaptive threshold
/// (`PreparedImage::prepare`), the same arithmetic without its divisions.
///
/// Each pixel is compared with a running average over about an eighth of the row width, taken
/// in both directions along the row (serpentine, carried from row to row); a pixel under 95 %
/// of the mean of the two is black. Why here: `rqrr` divides twice per pixel in a
/// loop-carried chain (`avg * (s - 1) / s`) and once more for the comparison, and that was
/// a quarter of the time a picture took. Here the running average divides by a precomputed
/// reciprocal (`strength_reduce`, exact for every `u64`), and `p < floor(A / B)` is tested as
/// `(p + 1) * B <= A`, which is the same for integers. The tests compare every pixel with
/// `rqrr`'s own preparation.
fn adaptive_threshold(grey: &[u8], w: usize, h: usize) -> Vec<bool> {
    let s = (w / 8).max(1) as u64;
    let by_s = strength_reduce::StrengthReducedU64::new(s);
    let decay = |avg: u64| avg * (s - 1) / by_s;
    let bar = 200 * s;
    let mut black = Vec::with_capacity(w * h);
    let mut row_sum = vec![0u64; w];
    let (mut avg_v, mut avg_u) = (0u64, 0u64);
    for y in 0..h {
        let row = grey.get(y * w..(y + 1) * w).unwrap_or(&[]);
        if row.len() != w {
            black.resize(w * h, false);
            break;
        }
        row_sum.fill(0);
        for x in 0..w {
            // Even rows: v runs right to left and u left to right; odd rows the other way.
            let (v, u) = if y % 2 == 0 {
                (w - 1 - x, x)
            } else {
                (x, w - 1 - x)
            };
            avg_v = decay(avg_v) + u64::from(row[v]);
            avg_u = decay(avg_u) + u64::from(row[u]);
            row_sum[v] += avg_v;
            row_sum[u] += avg_u;
        }
        black.extend(
            row.iter()
                .zip(&row_sum)
                .map(|(&p, &sum)| (u64::from(p) + 1) * bar <= sum * 95),
        );
    }
    black
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grey test images: noise, gradients with noise, and blocks near the threshold, of widths
    /// on both sides of every averaging window up to the 800-pixel cap.
    fn test_images() -> Vec<(usize, usize, Vec<u8>)> {
        let mut x: u64 = 0x853c_49e6_748f_ea9b;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out = Vec::new();
        for (i, (w, h)) in [
            (1, 1),
            (3, 5),
            (7, 9),
            (8, 8),
            (15, 4),
            (16, 16),
            (21, 21),
            (57, 33),
            (64, 3),
            (199, 17),
            (333, 12),
            (800, 6),
            (640, 9),
        ]
        .into_iter()
        .enumerate()
        {
            for kind in 0..3 {
                let mut grey = Vec::with_capacity(w * h);
                for y in 0..h {
                    for xx in 0..w {
                        let r = next();
                        let v = match kind {
                            0 => r % 256,
                            1 => ((xx * 255 / w.max(1) + y * 7 + i) as u64 + r % 9) % 256,
                            _ => {
                                let dark = (xx / 5 + y / 3) % 2 == 0;
                                (if dark { 110 } else { 128 }) + r % 4
                            }
                        };
                        grey.push(v as u8);
                    }
                }
                out.push((w, h, grey));
            }
        }
        out
    }

    #[test]
    fn threshold_is_rqrrs_own() {
        let (mut black, mut total) = (0usize, 0usize);
        for (w, h, grey) in test_images() {
            let ours = adaptive_threshold(&grey, w, h);
            assert_eq!(ours.len(), w * h);
            let theirs = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
                grey.get(y * w + x).copied().unwrap_or(0)
            });
            for y in 0..h {
                for x in 0..w {
                    let want = theirs.get_pixel_at(x, y) == 1u8;
                    assert_eq!(ours[y * w + x], want, "{w}x{h} at ({x}, {y})");
                    black += usize::from(want);
                    total += 1;
                }
            }
        }
        // Both colours well represented: the comparison is not all-white against all-white.
        assert!(
            black * 5 > total && black * 5 < total * 4,
            "{black} of {total}"
        );
    }

    #[test]
    fn downscale_samples_the_nearest_pixel() {
        let mut rgb = image::RgbImage::new(1000, 10);
        for (x, _, p) in rgb.enumerate_pixels_mut() {
            *p = image::Rgb([(x % 256) as u8, 0, 0]);
        }
        let grey = downscaled_luma(&image::DynamicImage::ImageRgb8(rgb), 100);
        assert_eq!(grey.dimensions(), (100, 1));
        // Target column 7 samples source column 70: red 70 -> 70 * 299 / 1000.
        assert_eq!(grey.get_pixel(7, 0).0[0], (70 * 299 / 1000) as u8);
    }
}
