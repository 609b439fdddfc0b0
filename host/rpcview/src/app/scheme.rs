//! The app's custom protocols (`app://localhost/…`), registered with WebKitGTK directly so
//! that a request's body is read only when the host decided it may be, from the request's
//! method, path and headers alone.
//!
//! Why not wry's custom protocol: with its `linux-body` feature it reads the body of every
//! request through `webkit_uri_scheme_request_get_http_body`, and on WebKitGTK 2.50.6 that call
//! crashes the UI process (SIGSEGV, every window with it) when the body is a `Blob`, `File` or
//! `FormData`, which any page or frame can send with one `fetch`. Without the feature, no
//! body reaches the app at all. Here the body is read only for a request the host let through
//! (the blob channel's uploads, which carry the window's upload key: only the preload sends
//! them, always with a byte array or a string as the body), and at most up to the limit the
//! host gave; every other request is answered from its head.

use std::borrow::Cow;

use webkit2gtk::gio::prelude::InputStreamExtManual;
use webkit2gtk::{
    SecurityManagerExt, URISchemeRequest, URISchemeRequestExt, URISchemeResponse,
    URISchemeResponseExt, WebContextExt,
};
use wry::http::{header, HeaderName, HeaderValue, Request, Response, StatusCode};

/// What a protocol does with a request whose head (method, URI, headers) is known.
pub(crate) enum Body {
    /// Answer without reading the body (the request has none the host wants).
    Ignore,
    /// Read the body, up to this many bytes; a longer one is answered 413 unread past it.
    Read(usize),
}

/// One custom protocol: `body` decides from a request's head whether its body is read,
/// `respond` answers the request (with the body, when it was read).
pub(crate) struct Protocol<B, R> {
    pub(crate) body: B,
    pub(crate) respond: R,
}

/// Registers `scheme` on the webview context `context`, served by `protocol`, as a secure
/// scheme (as wry registers its own).
pub(crate) fn register<B, R>(
    context: &webkit2gtk::WebContext,
    scheme: &str,
    protocol: Protocol<B, R>,
) where
    B: Fn(&Request<()>) -> Body + 'static,
    R: Fn(Request<Vec<u8>>) -> Response<Cow<'static, [u8]>> + 'static,
{
    if let Some(security) = context.security_manager() {
        security.register_uri_scheme_as_secure(scheme);
    }
    context.register_uri_scheme(scheme, move |request| {
        let response = match head(request) {
            None => text(StatusCode::BAD_REQUEST, "a request without a URI or method"),
            Some(head) => match (protocol.body)(&head) {
                Body::Ignore => (protocol.respond)(head.map(|()| Vec::new())),
                Body::Read(limit) => match read_body(request, limit) {
                    Ok(body) => (protocol.respond)(head.map(|()| body)),
                    Err(status) => text(status, "the body is larger than the host accepts here"),
                },
            },
        };
        finish(request, response);
    });
}

/// The request's method, URI and headers; its body is never touched here.
fn head(request: &URISchemeRequest) -> Option<Request<()>> {
    let uri = request.uri()?;
    let method = request
        .http_method()
        .map(|m| m.to_string())
        .unwrap_or_else(|| "GET".into());
    let mut builder = Request::builder().uri(uri.as_str()).method(method.as_str());
    if let (Some(headers), Some(map)) = (request.http_headers(), builder.headers_mut()) {
        headers.foreach(|name, value| {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                map.append(name, value);
            }
        });
    }
    builder.body(()).ok()
}

/// Reads the body of a request the host let through, at most `limit` bytes.
fn read_body(request: &URISchemeRequest, limit: usize) -> Result<Vec<u8>, StatusCode> {
    let Some(stream) = request.http_body() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    let mut chunk = vec![0u8; 256 << 10];
    loop {
        match stream.read(&mut chunk[..], None::<&webkit2gtk::gio::Cancellable>) {
            Ok(0) => return Ok(body),
            Ok(n) if body.len() + n > limit => return Err(StatusCode::PAYLOAD_TOO_LARGE),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => {
                tracing::debug!("a request's body could not be read: {e}");
                return Err(StatusCode::BAD_REQUEST);
            }
        }
    }
}

/// Hands `response` to WebKit for `request`.
fn finish(request: &URISchemeRequest, response: Response<Cow<'static, [u8]>>) {
    let (parts, body) = response.into_parts();
    let length = body.len() as i64;
    let bytes = match body {
        Cow::Borrowed(b) => webkit2gtk::glib::Bytes::from_static(b),
        Cow::Owned(v) => webkit2gtk::glib::Bytes::from_owned(v),
    };
    let input = webkit2gtk::gio::MemoryInputStream::from_bytes(&bytes);
    let out = URISchemeResponse::new(&input, length);
    out.set_status(u32::from(parts.status.as_u16()), None);
    if let Some(kind) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        out.set_content_type(kind);
    }
    let headers = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    for (name, value) in parts.headers.iter() {
        headers.append(name.as_str(), value.to_str().unwrap_or(""));
    }
    out.set_http_headers(headers);
    request.finish_with_response(&out);
}

/// A short plain-text answer.
pub(crate) fn text(status: StatusCode, body: &str) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Cow::Owned(body.as_bytes().to_vec()))
        .expect("a static response builds")
}
