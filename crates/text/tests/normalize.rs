//! fold, to_latin and detect_script: tables of known cases and properties.

use proptest::prelude::*;
use sanctions_model::Script;
use sanctions_text::{detect_script, fold, fold_into, to_latin};

#[test]
fn fold_table() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("   ", ""),
        ("-'-", ""),
        ("Abdul Ghani Baradar", "abdul ghani baradar"),
        ("  ABDUL   GHANI\tBARADAR\n", "abdul ghani baradar"),
        // Hyphens and other punctuation become spaces.
        ("Abdul-Ghani", "abdul ghani"),
        ("Abdul‐Ghani Abdul–Ghani", "abdul ghani abdul ghani"),
        ("BARADAR, Abdul Ghani", "baradar abdul ghani"),
        ("al-Qa'ida (AQ)", "al qaida aq"),
        ("U.S.A./Canada_Ltd.", "u s a canada ltd"),
        // Apostrophes and ayn/hamza signs are deleted, not spaced.
        ("Sa'id", "said"),
        (
            "Sa’id Sa‘id Saʼid Saʻid Saʿid Saʾid Sa`id Sa´id",
            "said said said said said said said said",
        ),
        ("`Abdul Amir", "abdul amir"),
        ("JUM'AH", "jumah"),
        // Accents and marks.
        ("José Müller Ñúñez Çelik", "jose muller nunez celik"),
        ("Ḥusaynī Ṭāhir Ẓarīf", "husayni tahir zarif"),
        ("Dvořák Łukasz Đorđević", "dvorak lukasz dordevic"),
        ("e\u{0301}cole", "ecole"),
        // Ligatures and special letters.
        ("Straße", "strasse"),
        ("Æsir Cœur Øster Þór", "aesir coeur oster thor"),
        ("ıstanbul İstanbul", "istanbul istanbul"),
        ("ﬁnance ﬂow", "finance flow"),
        ("Ǆ", "dz"),
        // Compatibility forms: fullwidth, superscripts.
        ("ＡＢＣ１２３", "abc123"),
        ("No²", "no2"),
        // Digits are kept.
        ("Al-Rashid Trust 2001", "al rashid trust 2001"),
        // Symbols separate.
        ("A&B+C@D", "a b c d"),
        // Other scripts are transliterated.
        ("Владимир Путин", "vladimir putin"),
        ("Сергей Лавров", "sergey lavrov"),
        ("محمد", "mhmd"),
        ("Sa'id محمد Иван", "said mhmd ivan"),
        ("٢٠٠١ ۱۹۹۰", "2001 1990"),
        // Scripts without transliteration separate words.
        ("Kim 金正恩 Jong", "kim jong"),
        ("김정은", ""),
        // Zero-width joiners and soft hyphens are deleted.
        ("Abdul\u{200D}ghani Ab\u{00AD}dul", "abdulghani abdul"),
    ];
    let mut buf = String::from("stale content");
    for &(input, want) in cases {
        assert_eq!(fold(input), want, "fold({input:?})");
        fold_into(input, &mut buf);
        assert_eq!(buf, want, "fold_into({input:?})");
    }
}

/// Consonant skeleton of one folded word: vowels (a e i o u y) dropped after the first letter,
/// repeated letters collapsed.
fn skeleton(word: &str) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if i > 0 && "aeiouy".contains(c) {
            continue;
        }
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

#[test]
fn to_latin_arabic() {
    let cases: &[(&str, &str)] = &[
        ("محمد", "mhmd"),
        ("أحمد", "ahmd"),
        ("عبد الغني برادر", "abd alghni bradr"),
        ("علي", "ali"),
        ("عمر", "amr"),
        ("فاطمة", "fatma"),
        ("حمزة", "hmza"),
        ("موسى", "musa"),
        ("مصطفى", "mstfa"),
        ("يوسف", "yusf"),
        ("وليد", "wlid"),
        ("داود", "dawd"),
        ("زياد", "zyad"),
        ("إبراهيم", "ibrahim"),
        ("آدم", "adm"),
        ("عيسى", "isa"),
        ("عائشة", "aisha"),
        ("خالد", "khald"),
        ("ذاكر", "zakr"),
        ("ظريف", "zrif"),
        ("رؤوف", "ruuf"),
        ("الحسن", "alhsn"),
        ("العولقي", "alawlqi"),
        // Harakat and shadda.
        ("مُحَمَّد", "muhammad"),
        ("سَعِيد", "saiid"),
        // Persian and Pashto letters.
        ("پرویز", "pruiz"),
        ("گلبدین", "glbdin"),
        ("چنگیز", "chngiz"),
        ("ژاله", "zhalh"),
        ("پښتون", "pshtun"),
        ("ټولنه", "tulnh"),
        ("ډاکټر", "daktr"),
        ("ګل", "gl"),
        ("پاکستان", "pakstan"),
        // Presentation forms, tatweel, digits, punctuation.
        ("ﻣﺤﻤﺪ", "mhmd"),
        ("محـــمد", "mhmd"),
        ("١٩٦٩", "1969"),
        ("علي، محمد", "ali, mhmd"),
        ("Ali علي", "Ali ali"),
    ];
    for &(input, want) in cases {
        assert_eq!(to_latin(input), want, "to_latin({input:?})");
    }
    // What matters for matching: the consonants agree with the Latin spellings.
    let pairs: &[(&str, &str)] = &[
        ("محمد", "Muhammad"),
        ("محمد", "Mohammed"),
        ("عبد الغني برادر", "Abd al-Ghani Baradar"),
        ("حافظ سعيد خان", "Hafiz Saeed Khan"),
        // و is w: Persian "v" is left to the matching keys (w ~ v).
        ("محمد جواد ظريف", "Mohammad Jawad Zarif"),
        ("أسامة بن لادن", "Usama bin Laden"),
        ("جلال الدين حقاني", "Jalal al-Din Haqqani"),
        ("عبد الرحمن", "Abd al-Rahman"),
    ];
    // Word-initial vowels are not written in Arabic and the article may be joined or not:
    // compare skeletons with any initial vowel as "V" and "al" dropped.
    let keys = |s: &str| -> Vec<String> {
        fold(s)
            .split(' ')
            .filter(|w| *w != "al")
            .map(|w| w.strip_prefix("al").filter(|r| r.len() > 2).unwrap_or(w))
            .map(|w| {
                let k = skeleton(w);
                match k.strip_prefix(|c: char| "aeiou".contains(c)) {
                    Some(rest) => format!("V{rest}"),
                    None => k,
                }
            })
            .collect()
    };
    for &(arabic, latin) in pairs {
        assert_eq!(keys(arabic), keys(latin), "{arabic} vs {latin}");
    }
}

#[test]
fn to_latin_cyrillic() {
    let cases: &[(&str, &str)] = &[
        ("Владимир Путин", "vladimir putin"),
        ("Сергей Лавров", "sergey lavrov"),
        ("Олександр", "oleksandr"),
        ("Пётр Бычков", "petr bychkov"),
        ("Ёлкин Соловьёв", "yolkin solovyov"),
        ("Фёдоров", "fedorov"),
        ("Хрущёв", "khrushchev"),
        ("Щербаков Цой Жуков Чехов Шойгу", "shcherbakov tsoy zhukov chekhov shoygu"),
        ("Юрьевич Яковлев Эдуард", "yurevich yakovlev eduard"),
        ("Объедков", "obedkov"),
        // Ukrainian letters switch г→h, и→y.
        ("Віталій Кличко", "vitaliy klychko"),
        // Without і, ї, є or ґ the text reads as Russian.
        ("Володимир Зеленський", "volodimir zelenskiy"),
        ("Григорій Сергійович", "hryhoriy serhiyovych"),
        ("Олексій Їжак Євген Ґалаґан", "oleksiy yizhak yevhen galagan"),
        // Belarusian: ў, г→h.
        ("Аляксандр Лукашэнка", "alyaksandr lukashenka"),
        ("Рыгор Шчарбаў", "ryhor shcharbau"),
        // Decomposed й (и + breve) and stress marks.
        ("Сергеи\u{0306}", "sergey"),
        ("Влади\u{0301}мир", "vladimir"),
        // Case, Latin and punctuation around.
        ("ООО «Газпром»", "ooo «gazprom»"),
        ("Ivan Иванов-Петров", "Ivan ivanov-petrov"),
    ];
    for &(input, want) in cases {
        assert_eq!(to_latin(input), want, "to_latin({input:?})");
    }
    assert_eq!(fold("Влади\u{0301}мир"), "vladimir");
}

#[test]
fn to_latin_other_scripts() {
    let cases: &[(&str, &str)] = &[
        ("Αλέξης Τσίπρας", "alexis tsipras"),
        ("Μπακογιάννη", "bakogianni"),
        ("Παπαδόπουλος", "papadopoulos"),
        ("Հայաստան", "hayastan"),
        ("Երևան", "yerevan"),
        ("საქართველო", "sakartvelo"),
        ("金正恩", "金正恩"),
        ("김정은", "김정은"),
    ];
    for &(input, want) in cases {
        assert_eq!(to_latin(input), want, "to_latin({input:?})");
    }
}

#[test]
fn detect_script_table() {
    let cases: &[(&str, Script)] = &[
        ("", Script::Other),
        ("123", Script::Other),
        ("Baradar", Script::Latin),
        ("Ørsted", Script::Latin),
        ("برادر", Script::Arabic),
        ("گلبدین حکمتیار", Script::Arabic),
        ("Путин", Script::Cyrillic),
        ("金正恩", Script::Han),
        ("김정은", Script::Hangul),
        ("Ελλάδα", Script::Other),
        ("ab вг", Script::Latin),
        ("a вг", Script::Cyrillic),
    ];
    for &(input, want) in cases {
        assert_eq!(detect_script(input), want, "{input:?}");
    }
}

fn assert_folded(s: &str) {
    assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '), "{s:?}");
    assert!(!s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  "), "{s:?}");
}

/// Strings built from the characters name data actually holds, mixed.
fn namey() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::char::range('a', 'z'),
            prop::char::range('A', 'Z'),
            prop::sample::select(vec![
                ' ', '-', '\'', '’', 'ʿ', ',', '.', '(', ')', '\t', '0', '9'
            ]),
            prop::char::range('\u{00C0}', '\u{024F}'),
            prop::char::range('\u{0300}', '\u{036F}'),
            prop::char::range('\u{0370}', '\u{03FF}'),
            prop::char::range('\u{0400}', '\u{04FF}'),
            prop::char::range('\u{0531}', '\u{058F}'),
            prop::char::range('\u{0600}', '\u{06FF}'),
            prop::char::range('\u{10A0}', '\u{10FF}'),
            prop::char::range('\u{1E00}', '\u{1EFF}'),
            prop::char::range('\u{FB50}', '\u{FEFF}'),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fold_is_idempotent(s in namey()) {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once.clone());
    }

    #[test]
    fn fold_output_is_clean(s in namey()) {
        assert_folded(&fold(&s));
    }

    #[test]
    fn fold_never_panics_on_any_string(s in any::<String>()) {
        let once = fold(&s);
        assert_folded(&once);
        prop_assert_eq!(fold(&once), once.clone());
        let _ = to_latin(&s);
        let _ = detect_script(&s);
    }

    #[test]
    fn fold_into_equals_fold(s in namey(), stale in "[a-z ]{0,10}") {
        let mut buf = stale;
        fold_into(&s, &mut buf);
        prop_assert_eq!(buf, fold(&s));
    }

    #[test]
    fn to_latin_leaves_ascii_alone(s in "[ -~]{0,40}") {
        prop_assert_eq!(to_latin(&s), s.as_str());
    }
}
