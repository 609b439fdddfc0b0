//! Screenshot checks: a PNG compared with a stored one within a tolerance, as Playwright's
//! `toHaveScreenshot` does, with the actual image and a picture of the differences written
//! beside the expected one on a mismatch.

use std::path::{Path, PathBuf};

/// The environment variable that makes [`TestApp::expect_screenshot`](super::TestApp)
/// store the screenshot as the expected image instead of comparing: `1` (or any value).
pub const UPDATE_ENV: &str = "RPCVIEW_UPDATE_SCREENSHOTS";

/// How different two screenshots may be and still match.
///
/// A pixel differs when one of its channels (red, green, blue, alpha) differs by more than
/// `threshold` × 255. The images match when the differing pixels are at most
/// `max_diff_pixels` **and** at most `max_diff_ratio` of all pixels. Images of different
/// sizes never match.
///
/// ```
/// use rpcview::testing::Tolerance;
/// let strict = Tolerance::exact();
/// let loose = Tolerance { threshold: 0.2, max_diff_pixels: 500, max_diff_ratio: 0.01 };
/// assert!(Tolerance::default().threshold > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Per channel, the difference (0 to 1) a pixel may show and still be the same.
    pub threshold: f64,
    /// How many pixels may differ.
    pub max_diff_pixels: usize,
    /// What fraction (0 to 1) of the pixels may differ.
    pub max_diff_ratio: f64,
}

impl Default for Tolerance {
    /// Anti-aliasing noise passes (channel differences up to 10%), and up to 0.1% of the
    /// pixels may differ more.
    fn default() -> Self {
        Self {
            threshold: 0.1,
            max_diff_pixels: usize::MAX,
            max_diff_ratio: 0.001,
        }
    }
}

impl Tolerance {
    /// Every pixel the same.
    pub fn exact() -> Self {
        Self {
            threshold: 0.0,
            max_diff_pixels: 0,
            max_diff_ratio: 0.0,
        }
    }
}

/// How two images compared.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Comparison {
    /// Width and height of both images.
    pub size: (usize, usize),
    /// How many pixels differ beyond the threshold.
    pub differing: usize,
    /// The largest channel difference seen (0 to 255).
    pub max_channel_delta: u8,
    /// Whether they match within the tolerance.
    pub matches: bool,
    /// A PNG: the expected image faded, with differing pixels in red.
    pub diff_png: Vec<u8>,
}

/// Compares two PNGs within `tolerance`.
///
/// # Errors
/// A PNG does not decode, or the sizes differ (the message gives both).
///
/// ```
/// # fn png(w: i32, h: i32, rgb: (f64, f64, f64)) -> Vec<u8> {
/// #     let s = cairo::ImageSurface::create(cairo::Format::ARgb32, w, h).unwrap();
/// #     let cr = cairo::Context::new(&s).unwrap();
/// #     cr.set_source_rgb(rgb.0, rgb.1, rgb.2); cr.paint().unwrap(); drop(cr);
/// #     let mut out = Vec::new(); s.write_to_png(&mut out).unwrap(); out
/// # }
/// use rpcview::testing::{compare_png, Tolerance};
/// let white = png(4, 4, (1.0, 1.0, 1.0));
/// let grey = png(4, 4, (0.95, 0.95, 0.95));
/// assert!(compare_png(&white, &grey, Tolerance::default()).unwrap().matches);
/// assert!(!compare_png(&white, &grey, Tolerance::exact()).unwrap().matches);
/// ```
pub fn compare_png(
    expected: &[u8],
    actual: &[u8],
    tolerance: Tolerance,
) -> Result<Comparison, String> {
    let (ew, eh, e) = decode(expected).map_err(|e| format!("the expected image: {e}"))?;
    let (aw, ah, a) = decode(actual).map_err(|e| format!("the actual image: {e}"))?;
    if (ew, eh) != (aw, ah) {
        return Err(format!(
            "the screenshot is {aw}×{ah} pixels but the expected image is {ew}×{eh}"
        ));
    }
    let limit = (tolerance.threshold.clamp(0.0, 1.0) * 255.0).floor() as u8;
    let mut diff = Vec::with_capacity(e.len());
    let (mut differing, mut max_delta) = (0usize, 0u8);
    for (pe, pa) in e.chunks_exact(4).zip(a.chunks_exact(4)) {
        let delta = pe
            .iter()
            .zip(pa)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        max_delta = max_delta.max(delta);
        if delta > limit {
            differing += 1;
            diff.extend_from_slice(&[0, 0, 255, 255]); // BGRA: opaque red
        } else {
            // The expected pixel, greyed and faded, so the red stands out.
            let grey = ((u16::from(pe[0]) + u16::from(pe[1]) + u16::from(pe[2])) / 3) as u8;
            let faded = 255 - (255 - grey) / 4;
            diff.extend_from_slice(&[faded, faded, faded, 255]);
        }
    }
    let total = ew * eh;
    let matches = differing <= tolerance.max_diff_pixels
        && (differing as f64) <= tolerance.max_diff_ratio * total as f64;
    Ok(Comparison {
        size: (ew, eh),
        differing,
        max_channel_delta: max_delta,
        matches,
        diff_png: encode(ew, eh, &diff)?,
    })
}

/// Checks `png` against the file `expected` (or stores it there under [`UPDATE_ENV`]).
pub(crate) fn expect(expected: &Path, png: &[u8], tolerance: Tolerance) -> Result<(), String> {
    let beside = |suffix: &str| -> PathBuf {
        let stem = expected
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        expected.with_file_name(format!("{stem}.{suffix}.png"))
    };
    let write = |path: &Path, bytes: &[u8]| -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    let (actual_path, diff_path) = (beside("actual"), beside("diff"));
    if std::env::var_os(UPDATE_ENV).is_some() {
        let _ = std::fs::remove_file(&actual_path);
        let _ = std::fs::remove_file(&diff_path);
        return write(expected, png);
    }
    let Ok(stored) = std::fs::read(expected) else {
        write(&actual_path, png)?;
        return Err(format!(
            "no stored screenshot at {}; the actual one is at {}; run with {UPDATE_ENV}=1 to store it",
            expected.display(),
            actual_path.display()
        ));
    };
    let failed = |why: String| -> Result<(), String> {
        write(&actual_path, png)?;
        Err(format!(
            "screenshot {} does not match: {why}; see {}",
            expected.display(),
            actual_path.display()
        ))
    };
    match compare_png(&stored, png, tolerance) {
        Err(why) => failed(why),
        Ok(c) if !c.matches => {
            write(&diff_path, &c.diff_png)?;
            failed(format!(
                "{} of {} pixels differ (largest channel difference {}; tolerance {tolerance:?}); the differences are in red in {}",
                c.differing,
                c.size.0 * c.size.1,
                c.max_channel_delta,
                diff_path.display()
            ))
        }
        Ok(_) => {
            let _ = std::fs::remove_file(&actual_path);
            let _ = std::fs::remove_file(&diff_path);
            Ok(())
        }
    }
}

/// `png` with the rectangles `rects` (`[x, y, width, height]` in pixels) painted magenta.
pub(crate) fn mask(png: &[u8], rects: &[[f64; 4]]) -> Result<Vec<u8>, String> {
    if rects.is_empty() {
        return Ok(png.to_vec());
    }
    let surface = cairo::ImageSurface::create_from_png(&mut &png[..])
        .map_err(|e| format!("the screenshot is not a PNG cairo reads: {e}"))?;
    let cr = cairo::Context::new(&surface).map_err(|e| e.to_string())?;
    cr.set_source_rgb(1.0, 0.0, 1.0);
    for [x, y, w, h] in rects {
        cr.rectangle(*x, *y, *w, *h);
    }
    cr.fill().map_err(|e| e.to_string())?;
    drop(cr);
    let mut out = Vec::new();
    surface.write_to_png(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Width, height and the pixels (cairo's ARGB32: B, G, R, A bytes, premultiplied) of a PNG.
fn decode(png: &[u8]) -> Result<(usize, usize, Vec<u8>), String> {
    let mut surface = cairo::ImageSurface::create_from_png(&mut &png[..])
        .map_err(|e| format!("not a PNG cairo reads: {e}"))?;
    // Whatever the PNG's own format, draw it into ARGB32 to compare like with like.
    if surface.format() != cairo::Format::ARgb32 {
        let argb =
            cairo::ImageSurface::create(cairo::Format::ARgb32, surface.width(), surface.height())
                .map_err(|e| e.to_string())?;
        let cr = cairo::Context::new(&argb).map_err(|e| e.to_string())?;
        cr.set_source_surface(&surface, 0.0, 0.0)
            .map_err(|e| e.to_string())?;
        cr.paint().map_err(|e| e.to_string())?;
        drop(cr);
        surface = argb;
    }
    let (w, h) = (surface.width() as usize, surface.height() as usize);
    let stride = surface.stride() as usize;
    let data = surface.data().map_err(|e| e.to_string())?;
    let mut pixels = Vec::with_capacity(w * h * 4);
    for row in 0..h {
        pixels.extend_from_slice(&data[row * stride..row * stride + w * 4]);
    }
    Ok((w, h, pixels))
}

/// A PNG of `pixels` (B, G, R, A bytes, opaque).
fn encode(w: usize, h: usize, pixels: &[u8]) -> Result<Vec<u8>, String> {
    let mut surface = cairo::ImageSurface::create(cairo::Format::ARgb32, w as i32, h as i32)
        .map_err(|e| e.to_string())?;
    let stride = surface.stride() as usize;
    {
        let mut data = surface.data().map_err(|e| e.to_string())?;
        for row in 0..h {
            data[row * stride..row * stride + w * 4]
                .copy_from_slice(&pixels[row * w * 4..(row + 1) * w * 4]);
        }
    }
    let mut png = Vec::new();
    surface.write_to_png(&mut png).map_err(|e| e.to_string())?;
    Ok(png)
}
