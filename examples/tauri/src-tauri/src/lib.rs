//! The Rust side of the example: one window showing the web side (../src), and, on Linux only,
//! pigeon-bridge as a sidecar, because Linux's webview (WebKitGTK) has no WebRTC. Windows
//! (WebView2) and macOS (WKWebView) use their own RTCPeerConnection: nothing is started there.
use tauri::{AppHandle, WebviewUrl, WebviewWindowBuilder};

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = tauri::Builder::default();
    #[cfg(target_os = "linux")]
    let builder = builder.plugin(tauri_plugin_shell::init());
    builder
        .setup(|app| {
            #[cfg(target_os = "linux")]
            bridge::start(app.handle().clone())?;
            #[cfg(not(target_os = "linux"))]
            open_window(app.handle(), None)?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running the Pigeon example");
}

/// The main window; `bridge` (the URL pigeon-bridge printed) is handed to the page before its
/// own scripts run, as `window.__PIGEON_BRIDGE__`.
fn open_window(app: &AppHandle, bridge: Option<&str>) -> tauri::Result<()> {
    let script = match bridge {
        Some(url) => format!("window.__PIGEON_BRIDGE__ = {};", serde_json::Value::from(url)),
        None => String::new(),
    };
    WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title("Pigeon example")
        .inner_size(900.0, 800.0)
        .initialization_script(&script)
        .build()?;
    Ok(())
}

#[cfg(target_os = "linux")]
mod bridge {
    use std::sync::Mutex;
    use tauri::{path::BaseDirectory, AppHandle, Manager};
    use tauri_plugin_shell::{process::CommandChild, process::CommandEvent, ShellExt};

    /// Held for the app's lifetime: the bridge exits when its stdin closes, i.e. with the app.
    struct Bridge(#[allow(dead_code)] Mutex<CommandChild>);

    /// Starts the sidecar (bundle.externalBin) and opens the window once it has printed its URL,
    /// its first stdout line; its later lines and stderr go to this app's stderr.
    pub fn start(app: AppHandle) -> Result<(), Box<dyn std::error::Error>> {
        // The WebRTC library's binary, bundled as a resource (tauri.linux.conf.json): the
        // executable cannot hold it (docs/tauri.md, step 4).
        let library = app.path().resolve("node_datachannel.node", BaseDirectory::Resource)?;
        let (mut events, child) = app
            .shell()
            .sidecar("pigeon-bridge")?
            .env("PIGEON_ENGINE_BINARY", library)
            .spawn()?;
        app.manage(Bridge(Mutex::new(child)));
        tauri::async_runtime::spawn(async move {
            let mut opened = false;
            while let Some(event) = events.recv().await {
                match event {
                    CommandEvent::Stdout(line) if !opened => {
                        opened = true;
                        let url = String::from_utf8_lossy(&line).trim().to_string();
                        if let Err(error) = super::open_window(&app, Some(&url)) {
                            eprintln!("pigeon example: could not open the window: {error}");
                        }
                    }
                    CommandEvent::Stdout(line) | CommandEvent::Stderr(line) => {
                        eprintln!("pigeon-bridge: {}", String::from_utf8_lossy(&line).trim_end())
                    }
                    CommandEvent::Terminated(status) => {
                        eprintln!("pigeon-bridge exited: {:?}", status.code);
                        // Without the bridge the page still opens, and says it needs one.
                        if !opened {
                            opened = true;
                            let _ = super::open_window(&app, None);
                        }
                    }
                    _ => {}
                }
            }
        });
        Ok(())
    }
}
