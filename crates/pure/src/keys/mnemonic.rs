//! BIP39 mnemonics: generate, parse with specific errors, check word by word,
//! and stretch into a seed.
//!
//! Invariants:
//! - Only English words are accepted; words from another BIP39 list are
//!   recognised so the error can say which language they are.
//! - Errors name positions, never words: an error message may end up in a log,
//!   and a mistyped word gives most of the real word away.
//! - Every owned copy of the words or the seed lives in a zeroizing container.

use bip39::{Language, Mnemonic};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

/// The longest input [`check_words`] looks at, bytes (a 24-word phrase
/// with generous spacing is well under this).
pub const MAX_PHRASE_BYTES: usize = 1024;

/// The word counts BIP39 defines (128 to 256 bits of entropy).
pub const VALID_WORD_COUNTS: [usize; 5] = [12, 15, 18, 21, 24];

/// How many words a new mnemonic has. We offer the two lengths wallets use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum WordCount {
    /// 12 words, 128 bits of entropy.
    #[serde(rename = "12")]
    Twelve,
    /// 24 words, 256 bits of entropy.
    #[serde(rename = "24")]
    TwentyFour,
}

impl WordCount {
    /// The number of words.
    pub fn count(self) -> usize {
        match self {
            WordCount::Twelve => 12,
            WordCount::TwentyFour => 24,
        }
    }

    /// 12 or 24; anything else is refused.
    pub fn from_count(n: usize) -> Option<Self> {
        match n {
            12 => Some(WordCount::Twelve),
            24 => Some(WordCount::TwentyFour),
            _ => None,
        }
    }
}

/// Why a mnemonic was refused. Each variant is a sentence the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MnemonicError {
    /// Nothing but white space.
    #[error("No recovery words were entered.")]
    Empty,
    /// Every word belongs to another language's BIP39 list.
    #[error("These look like {language} recovery words. Switchyard accepts English BIP39 words only; restore them in a wallet that supports {language} and sweep the funds.")]
    NotEnglish {
        /// The language the words belong to.
        language: String,
    },
    /// A word is not in the English list.
    #[error("Word {position} is not in the BIP39 English word list. Check its spelling.")]
    UnknownWord {
        /// 1-based position of the first unknown word.
        position: usize,
    },
    /// The count is not 12, 15, 18, 21 or 24.
    #[error("A recovery phrase has 12, 15, 18, 21 or 24 words, but {count} were entered.")]
    BadWordCount {
        /// How many words were entered.
        count: usize,
    },
    /// All words are known but the last bits do not match the checksum.
    #[error("Every word is valid, but the checksum does not match: one word is probably wrong, or two are swapped.")]
    BadChecksum,
}

/// Generates a new English mnemonic from the operating system's random source.
pub fn generate_mnemonic(words: WordCount) -> Mnemonic {
    // The `rand` feature draws from the OS RNG (`rand::thread_rng`, seeded by getrandom).
    match Mnemonic::generate_in(Language::English, words.count()) {
        Ok(m) => m,
        // 12 and 24 are valid counts, so generation cannot fail.
        Err(e) => unreachable!("BIP39 generation with a valid word count failed: {e}"),
    }
}

/// BIP39's normalisation: NFKD over the whole sentence (the word lists are
/// stored in NFKD), lower case, then single spaces between words, into a
/// zeroizing buffer. NFKD must come first: it can turn one typed character
/// into a space (U+FFE3 → space + U+0304), changing where words break.
fn normalize(input: &str) -> Zeroizing<String> {
    use unicode_normalization::UnicodeNormalization;
    let nfkd: Zeroizing<String> =
        Zeroizing::new(input.nfkd().flat_map(char::to_lowercase).collect());
    let mut out = Zeroizing::new(String::with_capacity(nfkd.len()));
    for (i, w) in nfkd.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn language_name(lang: Language) -> String {
    match lang {
        Language::English => "English".into(),
        Language::SimplifiedChinese => "Chinese (simplified)".into(),
        Language::TraditionalChinese => "Chinese (traditional)".into(),
        other => format!("{other:?}"),
    }
}

/// Which other language, if any, every word belongs to.
fn other_language_of(words: &[&str]) -> Option<Language> {
    Language::ALL
        .iter()
        .copied()
        .filter(|l| *l != Language::English)
        .find(|l| words.iter().all(|w| l.find_word(w).is_some()))
}

/// Parses an English mnemonic, telling exactly what is wrong when it is not one.
///
/// Checks, in this order: empty, other language, unknown word, word count, checksum.
pub fn parse_mnemonic(input: &SecretString) -> Result<Mnemonic, MnemonicError> {
    let normalized = normalize(input.expose_secret());
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(MnemonicError::Empty);
    }
    if let Some(first_unknown) = words
        .iter()
        .position(|w| Language::English.find_word(w).is_none())
    {
        if let Some(lang) = other_language_of(&words) {
            return Err(MnemonicError::NotEnglish {
                language: language_name(lang),
            });
        }
        return Err(MnemonicError::UnknownWord {
            position: first_unknown + 1,
        });
    }
    if !VALID_WORD_COUNTS.contains(&words.len()) {
        return Err(MnemonicError::BadWordCount { count: words.len() });
    }
    Mnemonic::parse_in_normalized(Language::English, &normalized).map_err(|e| match e {
        bip39::Error::InvalidChecksum => MnemonicError::BadChecksum,
        bip39::Error::BadWordCount(count) => MnemonicError::BadWordCount { count },
        bip39::Error::UnknownWord(i) => MnemonicError::UnknownWord { position: i + 1 },
        // Entropy and ambiguity errors cannot happen for a parsed English list.
        _ => MnemonicError::BadChecksum,
    })
}

/// The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512 over the words with the
/// passphrase ("mnemonic" + passphrase as salt), 2048 rounds. The passphrase
/// is NFKD-normalised first, as BIP39 requires, so "é" typed as one code
/// point (NFC, what most keyboards send) or as e + combining accent (NFD)
/// gives the same wallet, the one every other BIP39 wallet finds.
pub fn seed_from(mnemonic: &Mnemonic, passphrase: &SecretString) -> Zeroizing<[u8; 64]> {
    let normalized = normalize_passphrase(passphrase);
    Zeroizing::new(mnemonic.to_seed_normalized(&normalized))
}

/// The seed as Switchyard derived it before passphrases were normalised:
/// the passphrase's bytes exactly as typed. Only for wallets created that
/// way (see [`passphrase_is_normalized`]); their stored keys came from it.
pub fn seed_from_unnormalized(
    mnemonic: &Mnemonic,
    passphrase: &SecretString,
) -> Zeroizing<[u8; 64]> {
    Zeroizing::new(mnemonic.to_seed_normalized(passphrase.expose_secret()))
}

/// A passphrase in NFKD (BIP39's form), in a zeroizing buffer.
pub fn normalize_passphrase(passphrase: &SecretString) -> Zeroizing<String> {
    use unicode_normalization::UnicodeNormalization;
    Zeroizing::new(passphrase.expose_secret().nfkd().collect())
}

/// Whether normalising changes nothing (plain ASCII always passes): only a
/// passphrase for which this is false derived another wallet before.
pub fn passphrase_is_normalized(passphrase: &SecretString) -> bool {
    normalize_passphrase(passphrase).as_str() == passphrase.expose_secret()
}

/// The words of a mnemonic as one zeroizing, space-separated string.
pub fn phrase_of(mnemonic: &Mnemonic) -> SecretString {
    let mut s = String::new();
    for (i, w) in mnemonic.words().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(w);
    }
    SecretString::from(s)
}

/// The state of one typed word, for word-by-word validation in the restore form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WordStatus {
    /// 1-based position.
    pub position: u32,
    /// The word is in the English list.
    pub known: bool,
    /// Up to five English words the user may have meant (empty for known words).
    pub suggestions: Vec<String>,
}

/// The result of checking a partly or fully typed mnemonic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WordCheck {
    /// One entry per typed word.
    pub words: Vec<WordStatus>,
    /// The phrase parses: right words, right count, right checksum.
    pub valid: bool,
    /// Why it does not parse yet (none when `valid`).
    pub problem: Option<String>,
}

/// Checks every word and the whole phrase. The words are not echoed back.
pub fn check_words(input: &SecretString) -> WordCheck {
    // 24 words of at most 8 letters with spaces fit in 215 bytes; anything
    // far longer is not a phrase, and suggesting words for it is wasted work.
    if input.expose_secret().len() > MAX_PHRASE_BYTES {
        return WordCheck {
            words: Vec::new(),
            valid: false,
            problem: Some(
                "That is far longer than a recovery phrase (at most 24 words); paste only the words."
                    .to_string(),
            ),
        };
    }
    let normalized = normalize(input.expose_secret());
    let words: Vec<WordStatus> = normalized
        .split(' ')
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            let known = Language::English.find_word(w).is_some();
            WordStatus {
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                known,
                suggestions: if known { Vec::new() } else { suggest(w) },
            }
        })
        .collect();
    let parsed = parse_mnemonic(input);
    WordCheck {
        words,
        valid: parsed.is_ok(),
        problem: parsed.err().map(|e| e.to_string()),
    }
}

/// English words the user may have meant by `typed`: words it is a prefix of,
/// then words at the smallest edit distance (at most 2), five at the most.
pub fn suggest(typed: &str) -> Vec<String> {
    const MAX: usize = 5;
    let typed = typed.to_lowercase();
    if typed.is_empty() {
        return Vec::new();
    }
    let by_prefix = Language::English.words_by_prefix(&typed);
    if !by_prefix.is_empty() {
        return by_prefix.iter().take(MAX).map(|w| w.to_string()).collect();
    }
    let mut scored: Vec<(usize, &str)> = Language::English
        .word_list()
        .iter()
        .filter_map(|w| {
            let d = edit_distance(&typed, w);
            (d <= 2).then_some((d, *w))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(MAX)
        .map(|(_, w)| w.to_string())
        .collect()
}

/// Levenshtein distance (insertions, deletions, substitutions), two rows.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn s(x: &str) -> SecretString {
        SecretString::from(x.to_string())
    }

    #[test]
    fn check_words_refuses_huge_input_quickly() {
        let huge = SecretString::from("abandon ".repeat(10_000));
        let c = check_words(&huge);
        assert!(!c.valid && c.words.is_empty());
        assert!(c.problem.unwrap_or_default().contains("far longer"));
    }

    #[test]
    fn parses_valid_phrase_ignoring_case_and_spacing() {
        let m = parse_mnemonic(&s(&format!(
            "  {}\n",
            ABANDON.to_uppercase().replace(' ', "   ")
        )))
        .unwrap();
        assert_eq!(m.word_count(), 12);
        assert_eq!(phrase_of(&m).expose_secret(), ABANDON);
    }

    #[test]
    fn normalisation_happens_before_splitting() {
        // Found by the fuzz test: U+FFE3 decomposes into a space and a combining mark.
        let c = check_words(&s("0\u{ffe3}"));
        assert_eq!(c.words.len(), 2);
        assert_eq!(
            parse_mnemonic(&s("0\u{ffe3}")),
            Err(MnemonicError::UnknownWord { position: 1 })
        );
    }

    #[test]
    fn empty_input_is_its_own_error() {
        assert_eq!(parse_mnemonic(&s("  \n\t ")), Err(MnemonicError::Empty));
    }

    #[test]
    fn bad_checksum_is_reported_as_such() {
        let bad = ABANDON.replace("about", "abandon");
        assert_eq!(parse_mnemonic(&s(&bad)), Err(MnemonicError::BadChecksum));
    }

    #[test]
    fn unknown_word_names_its_position_not_the_word() {
        let bad = ABANDON
            .replacen("abandon", "abandn", 3)
            .replacen("abandn", "abandon", 2);
        let err = parse_mnemonic(&s(&bad)).unwrap_err();
        assert_eq!(err, MnemonicError::UnknownWord { position: 3 });
        assert!(!err.to_string().contains("abandn"));
    }

    #[test]
    fn wrong_word_count_is_reported_with_the_count() {
        let eleven = ABANDON.rsplit_once(' ').unwrap().0;
        assert_eq!(
            parse_mnemonic(&s(eleven)),
            Err(MnemonicError::BadWordCount { count: 11 })
        );
        let thirteen = format!("{ABANDON} abandon");
        assert_eq!(
            parse_mnemonic(&s(&thirteen)),
            Err(MnemonicError::BadWordCount { count: 13 })
        );
    }

    #[test]
    fn other_languages_are_recognised() {
        // Spanish and Japanese phrases generated from the same zero entropy.
        for (lang, name) in [
            (Language::Spanish, "Spanish"),
            (Language::Japanese, "Japanese"),
            (Language::French, "French"),
        ] {
            let m = Mnemonic::from_entropy_in(lang, &[7u8; 16]).unwrap();
            let phrase = m.words().collect::<Vec<_>>().join(" ");
            match parse_mnemonic(&s(&phrase)) {
                Err(MnemonicError::NotEnglish { language }) => assert_eq!(language, name),
                other => panic!("{name}: expected NotEnglish, got {other:?}"),
            }
        }
    }

    #[test]
    fn suggestions_cover_prefixes_and_typos() {
        assert_eq!(suggest("abando"), vec!["abandon"]);
        assert!(suggest("zoo").contains(&"zoo".to_string()));
        let typo = suggest("abandn");
        assert_eq!(typo.first().map(String::as_str), Some("abandon"));
        assert!(suggest("qqqqqqqqqq").is_empty());
    }

    #[test]
    fn check_words_marks_each_word() {
        let c = check_words(&s("abandon abandn about"));
        assert_eq!(c.words.len(), 3);
        assert!(c.words[0].known && !c.words[1].known && c.words[2].known);
        assert!(c.words[1].suggestions.contains(&"abandon".to_string()));
        assert!(!c.valid);
        assert!(c.problem.unwrap().contains("Word 2"));
        let ok = check_words(&s(ABANDON));
        assert!(ok.valid && ok.problem.is_none());
    }

    #[test]
    fn passphrase_changes_the_seed() {
        let m = parse_mnemonic(&s(ABANDON)).unwrap();
        let empty = seed_from(&m, &s(""));
        let with = seed_from(&m, &s("TREZOR"));
        assert_ne!(*empty, *with);
        assert_eq!(
            &empty[..8],
            &[0x5e, 0xb0, 0x0b, 0xbd, 0xdc, 0xf0, 0x69, 0x08]
        );
    }

    #[test]
    fn generated_mnemonics_parse_and_differ() {
        let a = generate_mnemonic(WordCount::Twelve);
        let b = generate_mnemonic(WordCount::TwentyFour);
        assert_eq!(a.word_count(), 12);
        assert_eq!(b.word_count(), 24);
        assert!(parse_mnemonic(&phrase_of(&a)).is_ok());
        assert_ne!(
            phrase_of(&a).expose_secret(),
            phrase_of(&generate_mnemonic(WordCount::Twelve)).expose_secret()
        );
    }
}
