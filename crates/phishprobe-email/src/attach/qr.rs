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
    let xs: Vec<u32> = (0..tw)
        .map(|x| ((u64::from(x) * u64::from(w) / u64::from(tw)) as u32).min(w - 1))
        .collect();
    let sample = |pixel: &dyn Fn(u32, u32) -> u8| -> image::GrayImage {
        let mut buf = Vec::with_capacity(tw as usize * th as usize);
        for y in 0..th {
            let sy = ((u64::from(y) * u64::from(h) / u64::from(th)) as u32).min(h - 1);
            buf.extend(xs.iter().map(|&sx| pixel(sx, sy)));
        }
        image::GrayImage::from_raw(tw, th, buf).unwrap_or_else(|| image::GrayImage::new(tw, th))
    };
    match img {
        D::ImageRgb8(b) => sample(&|sx, sy| {
            let p = b.get_pixel(sx, sy).0;
            luma(p[0], p[1], p[2])
        }),
        D::ImageRgba8(b) => sample(&|sx, sy| {
            let p = b.get_pixel(sx, sy).0;
            // Transparent pixels over a white page.
            let a = u32::from(p[3]);
            let v = u32::from(luma(p[0], p[1], p[2]));
            ((v * a + 255 * (255 - a)) / 255) as u8
        }),
        D::ImageLuma8(b) => sample(&|sx, sy| b.get_pixel(sx, sy).0[0]),
        other => {
            let g = other.to_luma8();
            if (tw, th) == (w, h) {
                g
            } else {
                sample(&|sx, sy| g.get_pixel(sx, sy).0[0])
            }
        }
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
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    let mut out = Vec::new();
    for grid in prepared.detect_grids().into_iter().take(4) {
        if let Ok((_, text)) = grid.decode() {
            out.push(text);
        }
    }
    out
}
