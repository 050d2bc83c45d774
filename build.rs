//! Joins the facade (lib/facade/) into the one script isolates run, `$OUT_DIR/facade.js`:
//! lib/facade/frame.js with each `// @include NAME` line replaced by the file NAME of that folder,
//! as lib/facade.js joins it for Node.

use std::path::Path;

fn main() {
  napi_build::setup();
  join_facade();
}

fn join_facade() {
  let folder = Path::new("lib/facade");
  println!("cargo:rerun-if-changed=build.rs");
  println!("cargo:rerun-if-changed={}", folder.display());
  let read = |name: &str| std::fs::read_to_string(folder.join(name)).unwrap_or_else(|error| panic!("lib/facade/{name}: {error}"));
  let mut joined = String::new();
  for line in read("frame.js").split_inclusive('\n') {
    let text = line.strip_suffix('\n').unwrap_or(line);
    match text.trim_start_matches(' ').strip_prefix("// @include ") {
      Some(name) if !name.is_empty() && !name.contains(char::is_whitespace) => {
        joined += &read(name);
        joined += &line[text.len()..];
      }
      _ => joined += line,
    }
  }
  let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("facade.js");
  std::fs::write(&out, joined).unwrap_or_else(|error| panic!("{}: {error}", out.display()));
}
