//! SFT import and export: every format round-trips through a workspace, bad lines are named by
//! number while good ones land, a filtered export splits train and validation, the training
//! engine reads the export, and the CLI does the same.

use dezgah::core::domain::SftStatus;
use dezgah::core::sft_io::{self, Filter, Format};
use dezgah::core::store::SftExample;
use dezgah::core::workspace::Workspace;

fn lines(format: Format) -> Vec<String> {
    let l = |s: &str| s.to_owned();
    match format {
        Format::Messages => vec![
            l(
                r#"{"messages":[{"role":"system","content":"Sən hüquqşünassan."},{"role":"user","content":"Mülki Məcəllə nəyi tənzimləyir?"},{"role":"assistant","content":"Əmlak və şəxsi qeyri-əmlak münasibətlərini."}],"domain":"hüquq","tags":["qanun"]}"#,
            ),
            l(
                r#"{"messages":[{"role":"user","content":"Salam!"},{"role":"assistant","content":"Salam, necə kömək edim?"},{"role":"user","content":"Bakı haradadır?"},{"role":"assistant","content":"Xəzərin sahilində."}]}"#,
            ),
        ],
        Format::PromptCompletion => vec![
            l(r#"{"prompt":"İstiqlal nədir?","completion":"Müstəqillik."}"#),
            l(
                r#"{"prompt":[{"role":"system","content":"Qısa cavab ver."},{"role":"user","content":"2+2?"}],"completion":[{"role":"assistant","content":"4"}]}"#,
            ),
        ],
        Format::Alpaca => vec![
            l(r#"{"instruction":"Tərcümə et","input":"good morning","output":"sabahınız xeyir"}"#),
            l(
                r#"{"instruction":"Şeir yaz","input":"","output":"Ay işığı, Xəzər sahili...","system":"Sən şairsən."}"#,
            ),
        ],
        Format::ShareGpt => vec![
            l(
                r#"{"conversations":[{"from":"system","value":"Kömək et."},{"from":"human","value":"Çay necə dəmlənir?"},{"from":"gpt","value":"Qaynar su ilə, beş dəqiqə."}]}"#,
            ),
            l(
                r#"{"conversations":[{"from":"human","value":"Salam"},{"from":"gpt","value":"Salam!"},{"from":"human","value":"Sağ ol"},{"from":"gpt","value":"Buyurun."}]}"#,
            ),
        ],
    }
}

fn content(examples: &[SftExample]) -> Vec<(String, Vec<(String, String)>)> {
    examples
        .iter()
        .map(|e| {
            (
                e.system_prompt.clone(),
                e.messages
                    .iter()
                    .map(|m| (m.role.name().to_owned(), m.content.clone()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn every_format_round_trips_through_a_workspace() {
    let tmp = tempfile::tempdir().expect("tmp");
    for format in Format::ALL {
        let input = tmp.path().join(format!("{}.jsonl", format.name()));
        std::fs::write(&input, lines(format).join("\n")).expect("write");
        let mut a = Workspace::open(&tmp.path().join(format!("a-{}", format.name()))).expect("a");
        let report = sft_io::import(
            a.store_mut(),
            &input,
            format,
            SftStatus::Ready,
            Some("Günay"),
        )
        .expect("import");
        assert_eq!((report.imported, report.errors.len()), (2, 0), "{format:?}");
        let first = a.store().sft_examples_full().expect("examples");
        assert_eq!(first[0].provenance, "imported");
        assert_eq!(first[0].author.as_deref(), Some("Günay"));

        let out = tmp.path().join(format!("out-{}.jsonl", format.name()));
        let written =
            sft_io::export(a.store(), format, &Filter::default(), &out, None).expect("export");
        assert_eq!(written.train, 2, "{format:?}");
        let mut b = Workspace::open(&tmp.path().join(format!("b-{}", format.name()))).expect("b");
        sft_io::import(b.store_mut(), &out, format, SftStatus::Ready, None).expect("re-import");
        let second = b.store().sft_examples_full().expect("examples");
        assert_eq!(content(&first), content(&second), "{format:?}");
        assert_eq!(first[0].domain, second[0].domain);
        assert_eq!(first[0].tags, second[0].tags);
    }
}

#[test]
fn bad_lines_are_named_and_the_good_ones_land() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("mixed.jsonl");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(lines(Format::Messages)[0].as_bytes());
    bytes.extend_from_slice(b"\n{\"messages\": [\n");
    bytes.extend_from_slice(b"{\"messages\":[{\"role\":\"user\",\"content\":\"yaln\xffz\"}]}\n");
    bytes.extend_from_slice(b"{\"messages\":[{\"role\":\"user\",\"content\":\"sual\"}]}\n\n");
    bytes.extend_from_slice(lines(Format::Messages)[1].as_bytes());
    std::fs::write(&input, bytes).expect("write");
    let mut ws = Workspace::open(&tmp.path().join("ws")).expect("ws");
    let report = sft_io::import(
        ws.store_mut(),
        &input,
        Format::Messages,
        SftStatus::Draft,
        None,
    )
    .expect("import");
    assert_eq!(report.imported, 2);
    let numbers: Vec<u64> = report.errors.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![2, 3, 4]);
    assert!(report.errors[1].1.contains("UTF-8"), "{:?}", report.errors);
    assert!(
        report.errors[2].1.contains("no assistant"),
        "{:?}",
        report.errors
    );
}

#[test]
fn a_filtered_export_splits_and_trains() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut ws = Workspace::open(&tmp.path().join("ws")).expect("ws");
    let input = tmp.path().join("many.jsonl");
    let many: Vec<String> = (0..20)
        .map(|i| {
            let domain = if i % 2 == 0 { "hüquq" } else { "tibb" };
            format!(
                r#"{{"messages":[{{"role":"user","content":"Sual {i}?"}},{{"role":"assistant","content":"Cavab {i}."}}],"domain":"{domain}"}}"#
            )
        })
        .collect();
    std::fs::write(&input, many.join("\n")).expect("write");
    sft_io::import(
        ws.store_mut(),
        &input,
        Format::Messages,
        SftStatus::Ready,
        None,
    )
    .expect("import");
    let (train, val) = (tmp.path().join("train.jsonl"), tmp.path().join("val.jsonl"));
    let filter = Filter {
        status: Some(SftStatus::Ready),
        domain: Some("hüquq".into()),
        tag: None,
    };
    let report = sft_io::export(
        ws.store(),
        Format::Messages,
        &filter,
        &train,
        Some((&val, 0.2)),
    )
    .expect("export");
    assert_eq!((report.train, report.validation), (8, 2));
    let conversations = dezgah::core::train::data::read_sft_jsonl(&train).expect("engine reads it");
    assert_eq!(conversations.len(), 8);
    // Alpaca holds one question and one answer: multi-turn examples are counted, not written.
    let mut multi = Workspace::open(&tmp.path().join("multi")).expect("ws");
    let input = tmp.path().join("multi.jsonl");
    std::fs::write(&input, lines(Format::Messages).join("\n")).expect("write");
    sft_io::import(
        multi.store_mut(),
        &input,
        Format::Messages,
        SftStatus::Ready,
        None,
    )
    .expect("import");
    let alpaca = tmp.path().join("alpaca.jsonl");
    let report = sft_io::export(
        multi.store(),
        Format::Alpaca,
        &Filter::default(),
        &alpaca,
        None,
    )
    .expect("export");
    assert_eq!((report.train, report.skipped), (1, 1));
}

#[test]
fn the_cli_imports_and_exports() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ws = tmp.path().join("ws");
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, lines(Format::ShareGpt).join("\n") + "\nnot json\n").expect("write");
    let exe = env!("CARGO_BIN_EXE_dezgah");
    let run = |args: &[&str]| {
        std::process::Command::new(exe)
            .args(args)
            .output()
            .expect("run dezgah")
    };
    let ws_arg = ws.to_str().expect("utf-8 path");
    let import = run(&[
        "sft",
        "import",
        "--workspace",
        ws_arg,
        "--format",
        "sharegpt",
        "--status",
        "ready",
        input.to_str().expect("path"),
    ]);
    assert!(import.status.success(), "{import:?}");
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(stderr.contains("in.jsonl:3: not JSON"), "{stderr}");
    assert!(stderr.contains("imported 2 examples"), "{stderr}");
    let out = tmp.path().join("out.jsonl");
    let export = run(&[
        "sft",
        "export",
        "--workspace",
        ws_arg,
        "--format",
        "messages",
        "--status",
        "ready",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert!(export.status.success(), "{export:?}");
    let text = std::fs::read_to_string(&out).expect("read");
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("\"role\":\"system\""), "{text}");
}
