//! What the .deb carries (Cargo.toml's `[package.metadata.deb]`): every asset exists, the icon
//! sizes are what their folders say, and the desktop entry starts this binary with this icon.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn deb_metadata() -> toml::Table {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .expect("read Cargo.toml")
        .parse()
        .expect("parse Cargo.toml");
    manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb]")
        .clone()
}

#[test]
fn every_packaged_file_exists_and_the_binary_comes_from_the_stripped_profile() {
    let deb = deb_metadata();
    assert_eq!(deb["profile"].as_str(), Some("dist"));
    let assets = deb["assets"].as_array().expect("assets");
    let mut icons = 0;
    for asset in assets {
        let source = asset[0].as_str().expect("source");
        let dest = asset[1].as_str().expect("dest");
        if source.starts_with("target/release/") {
            assert_eq!(dest, "usr/bin/");
            continue;
        }
        assert!(root().join(source).is_file(), "{source} is missing");
        if dest.starts_with("usr/share/icons/hicolor/") {
            icons += 1;
            if let Some(size) = dest
                .strip_prefix("usr/share/icons/hicolor/")
                .and_then(|d| d.split('/').next())
                .and_then(|d| d.split_once('x'))
            {
                let png = std::fs::read(root().join(source)).expect("read icon");
                let icon = eframe::icon_data::from_png_bytes(&png).expect("a PNG");
                let (w, h): (u32, u32) = (size.0.parse().expect("w"), size.1.parse().expect("h"));
                assert_eq!((icon.width, icon.height), (w, h), "{source}");
            }
        }
    }
    assert!(icons >= 8, "the icon in its sizes and as SVG");
}

#[test]
fn the_desktop_entry_starts_the_binary_with_its_icon() {
    let entry = std::fs::read_to_string(root().join("assets/dezgah.desktop")).expect("read");
    let lines: Vec<&str> = entry.lines().collect();
    assert_eq!(lines.first(), Some(&"[Desktop Entry]"));
    for expected in [
        "Type=Application",
        "Exec=dezgah",
        "Icon=dezgah",
        // The window's app id (main.rs), so the desktop matches the window to the entry.
        "StartupWMClass=dezgah",
        "Name=Dəzgah",
    ] {
        assert!(lines.contains(&expected), "{expected} missing");
    }
    assert!(lines.iter().any(|l| l.starts_with("Comment[az]=")));
    let main = std::fs::read_to_string(root().join("src/main.rs")).expect("read main.rs");
    assert!(main.contains(".with_app_id(\"dezgah\")"));
}
