//! Trusted input for tests: GDK pointer and key events handed to GTK for the webview, as a
//! person's clicks and key presses are. WebKit turns them into DOM events with
//! `isTrusted: true` (focus, `:hover`, `input` events, default actions), which a script's
//! `element.click()` or `dispatchEvent` cannot fake.

use gtk::gdk;
use gtk::glib::translate::{ToGlibPtr, ToGlibPtrMut};
use gtk::prelude::*;

/// Clicks the primary button at `(x, y)`, in CSS pixels from the webview's top left corner.
pub(crate) fn click(webview: &webkit2gtk::WebView, x: f64, y: f64) -> Result<(), String> {
    let window = gdk_window(webview)?;
    let pointer = window
        .display()
        .default_seat()
        .and_then(|seat| seat.pointer())
        .ok_or("the display has no pointer")?;
    // Coordinates in the GDK window: the webview's own, or its parent's plus its allocation.
    let (x, y) = if webview.has_window() {
        (x, y)
    } else {
        let a = webview.allocation();
        (x + f64::from(a.x()), y + f64::from(a.y()))
    };
    let (_, ox, oy) = window.origin();
    let (x_root, y_root) = (f64::from(ox) + x, f64::from(oy) + y);

    let mut motion = gdk::Event::new(gdk::EventType::MotionNotify);
    // SAFETY: the event was created with this type, so `motion` is the union's live member;
    // the window reference given to it is released when the event is freed.
    unsafe {
        let raw: *mut gdk::ffi::GdkEvent = motion.to_glib_none_mut().0;
        let m = &mut (*raw).motion;
        m.window = window.to_glib_full();
        m.send_event = 1;
        m.x = x;
        m.y = y;
        m.x_root = x_root;
        m.y_root = y_root;
    }
    motion.set_device(Some(&pointer));
    gtk::main_do_event(&mut motion);

    for (kind, state) in [
        (gdk::EventType::ButtonPress, 0),
        (gdk::EventType::ButtonRelease, gdk::ffi::GDK_BUTTON1_MASK),
    ] {
        let mut event = gdk::Event::new(kind);
        // SAFETY: as above, `button` is the live member for these types.
        unsafe {
            let raw: *mut gdk::ffi::GdkEvent = event.to_glib_none_mut().0;
            let b = &mut (*raw).button;
            b.window = window.to_glib_full();
            b.send_event = 1;
            b.x = x;
            b.y = y;
            b.x_root = x_root;
            b.y_root = y_root;
            b.button = 1;
            b.state = state;
        }
        event.set_device(Some(&pointer));
        gtk::main_do_event(&mut event);
    }
    Ok(())
}

/// Types `text` into whatever has the page's focus, one key press and release per character.
pub(crate) fn type_text(webview: &webkit2gtk::WebView, text: &str) -> Result<(), String> {
    for c in text.chars() {
        let key = match c {
            '\n' => gdk::keys::Key::from_name("Return"),
            '\t' => gdk::keys::Key::from_name("Tab"),
            c => gdk::keys::Key::from_unicode(c),
        };
        press(webview, *key)?;
    }
    Ok(())
}

/// Presses and releases the key named as the DOM names keys (`Enter`, `Tab`, `Escape`,
/// `Backspace`, `ArrowDown`, ...) or as GDK does (`Return`, `BackSpace`, `F5`).
pub(crate) fn press_key(webview: &webkit2gtk::WebView, name: &str) -> Result<(), String> {
    let gdk_name = match name {
        "Enter" => "Return",
        "Backspace" => "BackSpace",
        "ArrowUp" => "Up",
        "ArrowDown" => "Down",
        "ArrowLeft" => "Left",
        "ArrowRight" => "Right",
        "PageUp" => "Page_Up",
        "PageDown" => "Page_Down",
        " " | "Space" => "space",
        other => other,
    };
    let key = *gdk::keys::Key::from_name(gdk_name);
    if key == 0 || key == 0x00ff_ffff {
        return Err(format!("no key named '{name}'"));
    }
    press(webview, key)
}

/// One key press and release of `keyval`, sent to the webview's toplevel (which gives key
/// events to its focus widget).
fn press(webview: &webkit2gtk::WebView, keyval: u32) -> Result<(), String> {
    let window = gdk_window(webview)?;
    let display = window.display();
    let keyboard = display
        .default_seat()
        .and_then(|seat| seat.keyboard())
        .ok_or("the display has no keyboard")?;
    let entry = gdk::Keymap::for_display(&display)
        .map(|keymap| keymap.entries_for_keyval(keyval))
        .and_then(|entries| entries.into_iter().next());
    let (keycode, group, shifted) = entry.map_or((0, 0, false), |k| {
        (k.keycode() as u16, k.group() as u8, k.level() == 1)
    });
    if !webview.has_focus() {
        webview.grab_focus();
    }
    for kind in [gdk::EventType::KeyPress, gdk::EventType::KeyRelease] {
        let mut event = gdk::Event::new(kind);
        // SAFETY: `key` is the live member for key events; `string` stays null, which
        // gdk_event_free accepts.
        unsafe {
            let raw: *mut gdk::ffi::GdkEvent = event.to_glib_none_mut().0;
            let k = &mut (*raw).key;
            k.window = window.to_glib_full();
            k.send_event = 1;
            k.keyval = keyval;
            k.hardware_keycode = keycode;
            k.group = group;
            k.state = if shifted { gdk::ffi::GDK_SHIFT_MASK } else { 0 };
        }
        event.set_device(Some(&keyboard));
        gtk::main_do_event(&mut event);
    }
    Ok(())
}

/// The GDK window the webview draws into.
fn gdk_window(webview: &webkit2gtk::WebView) -> Result<gdk::Window, String> {
    webview
        .window()
        .ok_or_else(|| "the webview has no GDK window yet (it is not shown)".to_string())
}
