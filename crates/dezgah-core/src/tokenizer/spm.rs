//! SentencePiece: a Unigram `.model` (protobuf) read into a tokenizer with the same ids.

use std::path::Path;

use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{NormalizerWrapper, Sequence as NormSequence};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{AddedToken, Tokenizer};

use super::{TokenizerError, tok_err};

/// The parts of a SentencePiece `.model` (a protobuf `ModelProto`) a Unigram tokenizer needs.
#[derive(Debug, Default)]
struct SpmModel {
    /// (piece, score, type): type 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte.
    pieces: Vec<(String, f64, u64)>,
    model_type: u64,
    byte_fallback: bool,
    charsmap: Vec<u8>,
    add_dummy_prefix: bool,
}

/// Reads a protobuf varint at `*at`.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of one protobuf message: (field number, varint value or bytes).
fn fields(bytes: &[u8]) -> Option<Vec<(u64, u64, &[u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((field, varint(bytes, &mut at)?, &[][..])),
            1 => {
                let b = bytes.get(at..at + 8)?;
                at += 8;
                out.push((field, u64::from_le_bytes(b.try_into().ok()?), &[][..]));
            }
            2 => {
                let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
                let b = bytes.get(at..at.checked_add(len)?)?;
                at += len;
                out.push((field, 0, b));
            }
            5 => {
                let b = bytes.get(at..at + 4)?;
                at += 4;
                out.push((
                    field,
                    u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                    &[][..],
                ));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn parse_spm(bytes: &[u8]) -> Option<SpmModel> {
    let mut model = SpmModel {
        model_type: 1,
        add_dummy_prefix: true,
        ..SpmModel::default()
    };
    for (field, _, data) in fields(bytes)? {
        match field {
            1 => {
                let (mut piece, mut score, mut kind) = (String::new(), 0.0, 1);
                for (f, v, d) in fields(data)? {
                    match f {
                        1 => piece = String::from_utf8(d.to_vec()).ok()?,
                        2 => score = f64::from(f32::from_bits(u32::try_from(v).ok()?)),
                        3 => kind = v,
                        _ => {}
                    }
                }
                model.pieces.push((piece, score, kind));
            }
            2 => {
                for (f, v, _) in fields(data)? {
                    match f {
                        3 => model.model_type = v,
                        35 => model.byte_fallback = v != 0,
                        _ => {}
                    }
                }
            }
            3 => {
                for (f, v, d) in fields(data)? {
                    match f {
                        2 => model.charsmap = d.to_vec(),
                        3 => model.add_dummy_prefix = v != 0,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (!model.pieces.is_empty()).then_some(model)
}

/// Converts a SentencePiece Unigram `.model` into a tokenizer that encodes to the same ids:
/// its pieces and scores, its normalisation table, metaspace splitting and byte fallback.
pub fn load_sentencepiece(path: &Path) -> Result<Tokenizer, TokenizerError> {
    let bytes = std::fs::read(path).map_err(|source| TokenizerError::Io {
        path: path.to_owned(),
        source,
    })?;
    let model = parse_spm(&bytes)
        .ok_or_else(|| tok_err(path, "not a SentencePiece model (unreadable protobuf)"))?;
    if model.model_type != 1 {
        return Err(tok_err(
            path,
            format!(
                "a SentencePiece model of type {} (only Unigram models, type 1, can be converted)",
                model.model_type
            ),
        ));
    }
    let unk_id = model.pieces.iter().position(|(_, _, k)| *k == 2);
    let vocab: Vec<(String, f64)> = model
        .pieces
        .iter()
        .map(|(p, s, _)| (p.clone(), *s))
        .collect();
    let unigram =
        Unigram::from(vocab, unk_id, model.byte_fallback).map_err(|e| tok_err(path, e))?;
    let mut normalizers: Vec<NormalizerWrapper> = Vec::new();
    if !model.charsmap.is_empty() {
        let precompiled = tokenizers::normalizers::precompiled::Precompiled::from(&model.charsmap)
            .map_err(|e| tok_err(path, e))?;
        normalizers.push(precompiled.into());
    }
    normalizers.push(
        tokenizers::normalizers::replace::Replace::new(
            tokenizers::normalizers::replace::ReplacePattern::Regex(" {2,}".into()),
            " ",
        )
        .map_err(|e| tok_err(path, e))?
        .into(),
    );
    let scheme = if model.add_dummy_prefix {
        PrependScheme::Always
    } else {
        PrependScheme::Never
    };
    let mut tokenizer = Tokenizer::new(unigram);
    tokenizer
        .with_normalizer(Some(NormSequence::new(normalizers)))
        .map_err(|e| tok_err(path, e))?;
    tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', scheme, true)));
    let special: Vec<AddedToken> = model
        .pieces
        .iter()
        .filter(|(_, _, k)| *k == 2 || *k == 3)
        .map(|(p, _, _)| AddedToken::from(p.clone(), true))
        .collect();
    tokenizer
        .add_special_tokens(special)
        .map_err(|e| tok_err(path, e))?;
    // Decoding as in byte-fallback Unigram tokenizers trained here.
    let json = serde_json::json!({
        "type": "Sequence",
        "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": usize::from(model.add_dummy_prefix), "stop": 0},
        ],
    });
    let decoder: tokenizers::DecoderWrapper =
        serde_json::from_value(json).map_err(|e| tok_err(path, e))?;
    tokenizer.with_decoder(Some(decoder));
    Ok(tokenizer)
}

#[cfg(test)]
mod spm_tests {
    use super::*;

    #[test]
    fn a_sentencepiece_model_encodes_as_sentencepiece_does() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
        let tokenizer = load_sentencepiece(&data.join("az_unigram.model")).expect("load");
        let expected: serde_json::Value = serde_json::from_slice(
            &std::fs::read(data.join("az_unigram.expected.json")).expect("read"),
        )
        .expect("json");
        for case in expected.as_array().expect("cases") {
            let text = case["text"].as_str().expect("text");
            let encoding = tokenizer.encode(text, false).expect("encode");
            let want: Vec<u32> = case["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|v| v.as_u64().expect("id") as u32)
                .collect();
            assert_eq!(
                encoding.get_ids(),
                want.as_slice(),
                "{text}: {:?}",
                encoding.get_tokens()
            );
            let decoded = tokenizer.decode(encoding.get_ids(), false).expect("decode");
            assert_eq!(decoded, text);
        }
        let err = load_sentencepiece(&data.join("hf_style.parquet")).expect_err("not a model");
        assert!(err.to_string().contains("hf_style.parquet"), "{err}");
    }
}
