# Dəzgah istifadəçi interfeysi, Azərbaycan dili.
# Buradakı hər id en.ftl-də də olmalıdır (test hər iki faylın eyni id və arqumentlərə malik olduğunu yoxlayır).

app-tagline = Azərbaycan dil modelləri üçün dəzgah

## İş sahələri
area-corpus = Korpus
area-tokenizer = Tokenizator
area-sft = SFT
area-rating = Qiymətləndirmə
area-training = Təlim
area-playground = Sınaq meydançası
area-settings = Tənzimləmələr

## Ümumi
col-id = №
col-name = Ad
col-documents = Sənədlər
col-characters = Simvollar
col-file = Fayl
col-kind = Növ
col-vocab = Lüğət
col-prompt = Sorğu
col-responses = Cavablar
col-ratings = Qiymətlər
col-stage = Mərhələ
col-status = Vəziyyət
action-reveal-folder = Qovluğu göstər
action-reveal-folder-hint = Bu qovluğu fayl menecerində aç
action-cancel = Ləğv et
action-cancel-job-hint = Bu işi növbəti addımda dayandır
action-dismiss = Bağla
role-user = İstifadəçi
role-assistant = Köməkçi
status-draft = qaralama
status-ready = hazır
status-rejected = rədd edilib
workspace-failed-title = İş sahəsi açıla bilmədi
workspace-go-settings = Başqa iş sahəsi seç…

## Korpus
corpus-about = Xam Azərbaycan mətni — xəbərlər, kitablar, qanunlar, veb səhifələr — təmiz, təkrarsız təlim korpuslarına çevrilir.
corpus-empty-title = Bu iş sahəsində hələ korpus yoxdur
corpus-empty-body = .txt, .md və ya .jsonl fayllarını yuxarıdakı düymə ilə idxal edin və ya pəncərənin üzərinə atın. Azərbaycan dilinə uyğun təmizləmə, keyfiyyət filtrləri və təkrarların silinməsi hələlik komanda sətrindən işləyir (dezgah corpus clean, filter, dedup) və növbəti mərhələdə bu bölməyə gəlir. Korpus faylları iş sahəsinin corpora qovluğunda saxlanılır:
corpus-import = Faylları idxal et…
corpus-import-hint = .txt, .md və ya .jsonl fayllarını (həmçinin .gz, .zst) iş sahəsinə bir yeni korpus kimi əlavə edir
corpus-import-folder = Qovluq idxal et…
corpus-import-folder-hint = Qovluğun içindəki bütün .txt, .md və .jsonl fayllarını (həmçinin .gz, .zst) bir yeni korpus kimi əlavə edir
corpus-unit = Bir sənəd:
corpus-unit-line = sətir
corpus-unit-paragraph = abzas
corpus-unit-file = fayl
corpus-drop-hint = Və ya faylları pəncərənin üzərinə atın. İdxal arxa planda gedir; gedişatı status sətrində görünür.
corpus-select-hint = Bu korpusda nə olduğunu göstər
corpus-stats-computing = Statistika hesablanır…
corpus-stats-failed = Statistika hesablana bilmədi: { $error }
corpus-stats-summary = { $documents } sənəd · { $characters } simvol · { $words } söz
corpus-stats-scripts = Əlifbalar
corpus-stats-languages = Dillər
corpus-stats-anomalies = Bunlar olan sənədlər
corpus-stats-anomaly-counts = qarışıq əlifbalı sözlər { $mixed } · bölünmüş sözlər { $split } · ə-yə bənzər hərflər { $schwa } · U+FFFD { $replacement } · idarəedici simvollar { $control }
corpus-stats-top-words = Ən çox işlənən sözlər
corpus-stats-length = Sənədin uzunluğu
corpus-stats-length-axis = simvol sayının log₂-si
corpus-stats-documents = sənəd
job-import-corpus = { $name } idxal edilir
job-corpus-stats = { $name } statistikası
count-corpora = { $count } korpus

## Tokenizator
tokenizer-about = Korpuslarınız üzərində bayt səviyyəli BPE və Unigram tokenizatorları öyrədin, Azərbaycan mətninin necə bölündüyünü görün və tokenizatorları müqayisə edin.
tokenizer-empty-title = Bu iş sahəsində hələ tokenizator yoxdur
tokenizer-empty-body = Öyrədilmiş və ya yüklənmiş tokenizatorlar (tokenizer.json, SentencePiece .model) lüğət ölçüsü və öyrədildiyi korpusla birgə burada görünəcək. Onlar iş sahəsinin tokenizers qovluğunda saxlanılır:

## SFT
sft-about = Nəzarətli incə tənzimləmə (SFT) üçün annotatorların yazıb yoxladığı sorğu-cavab nümunələri.
sft-empty-title = Bu iş sahəsində hələ SFT nümunəsi yoxdur
sft-empty-body = Burada yazılan və ya TRL messages, Alpaca, ShareGPT fayllarından idxal edilən nümunələr sahəsi, vəziyyəti və müəllifi ilə burada sıralanacaq. İxrac iş sahəsinin exports qovluğuna yazılır:
sft-readonly = Yalnız baxış: nümunələri yazmaq və yoxlamaq üçün redaktor növbəti mərhələdə gəlir.
count-sft-examples = { $count } nümunə

## Qiymətləndirmə
rating-about = Modelin cavablarını yan-yana müqayisə edin; qərarlarınız DPO üçün üstünlük məlumatına çevrilir.
rating-empty-title = Bu iş sahəsində hələ üstünlük elementi yoxdur
rating-empty-body = Model tərəfindən yaradılmış və ya JSONL-dən idxal edilmiş, iki və daha çox cavablı sorğular annotatorları burada gözləyəcək. Üstünlük məlumatı iş sahəsinin exports qovluğuna ixrac edilir:
count-preference-items = { $count } üstünlük elementi, { $ratings } qiymət

## Təlim
training-about = Kiçik llama tipli modelləri sıfırdan öyrədin (pretrain), incə tənzimləyin (SFT) və uyğunlaşdırın (DPO), əyrilərini canlı izləyin.
training-empty-title = Bu iş sahəsində hələ təlim prosesi yoxdur
training-empty-body = Hər proses — tənzimləmələri, itki əyriləri, nümunələri və yoxlama nöqtələri — burada sıralanacaq. Proseslər iş sahəsinin runs qovluğunda saxlanılır:

## Sınaq meydançası
playground-about = Öyrətdiyiniz modellə danışın; cavablar öz korpuslarınıza əsaslanır.
playground-empty-title = Hələ danışmaq üçün öyrədilmiş model yoxdur
playground-empty-body = Təlim prosesi yoxlama nöqtəsi saxlayan kimi onunla burada söhbət edə biləcəksiniz. Yoxlama nöqtələri iş sahəsinin runs qovluğunda saxlanılır:
playground-models-ready = { $count } bitmiş prosesin danışmağa hazır modeli var.

## Tənzimləmələr
settings-language = İnterfeys dili
settings-theme = Mövzu
settings-theme-light = İşıqlı
settings-theme-dark = Tünd
settings-annotator = Annotatorun adı
settings-annotator-hint = Yazdığınız nümunələr və verdiyiniz qiymətlər bu adla imzalanır.
settings-annotator-placeholder = Adınız
settings-workspace = İş sahəsi
settings-workspace-hint = Verilənlər bazasını (dezgah.db) və corpora, tokenizers, runs, exports qovluqlarını saxlayan qovluq.
settings-workspace-open = Açıqdır və qaydasındadır
settings-workspace-summary = { $corpora } korpus · { $sft } SFT nümunəsi · { $preferences } üstünlük elementi · { $runs } proses · sxem versiyası { $schema }
settings-workspace-seeded = Nümunə fayllarından dolduruldu: { $corpora } korpus, { $sft } SFT nümunəsi, { $preferences } üstünlük elementi.
settings-workspace-path = Qovluğun yolu
settings-workspace-open-path = Aç
settings-workspace-choose = Qovluq seç…
settings-workspace-check = İş sahəsini yoxla
settings-workspace-check-hint = SQLite-ın bütövlük yoxlamasını işlədir və verilənlər bazasının istinad etdiyi hər faylı axtarır

## Status sətri və işlər
status-workspace = İş sahəsi:
status-workspace-failed = açılmayıb
status-no-jobs = İşləyən iş yoxdur
status-eta = { $time } qalıb
status-job-done = { $name }: bitdi
status-job-cancelled = { $name }: ləğv edildi
status-job-failed = { $name }: alınmadı
job-check-workspace = İş sahəsinin yoxlanması

## Korpus: bölmələr və sənəd baxışı
corpus-tab-overview = İcmal
corpus-tab-documents = Sənədlər
corpus-index-loading = Sənədlər indekslənir…
job-corpus-index = { $name } indeksi
job-corpus-search = “{ $query }” axtarılır
corpus-browse-count = { $total } sənəddən { $shown }
corpus-browse-none = Bu süzgəclərdən keçən sənəd yoxdur.
corpus-search = Axtar
corpus-search-hint = Mətn və ya requlyar ifadə; Enter axtarır
corpus-search-regex = requlyar ifadə
corpus-search-ignore-case = böyük-kiçik hərf fərq etməsin
corpus-search-ignore-case-hint = Azərbaycan hərf qaydaları: I ı ilə, İ i ilə uyğun gəlir
corpus-search-clear = Axtarışı sil
corpus-search-found = “{ $query }”: { $count } sənəd
corpus-doc-pick = Sənədi burada oxumaq üçün üzərinə basın; anomaliyalar rənglə göstərilir.
corpus-doc-facts = { $source } · { $language } · { $script } · { $characters } simvol · { $words } söz
corpus-doc-flags = Keyfiyyət süzgəclərindən keçmir: { $flags }
corpus-doc-cut = { $total } simvoldan ilk { $shown } göstərilir.
corpus-doc-show-all = Sənədi bütöv göstər
filter-any = hamısı
filter-length = Simvol
filter-language = Dil
filter-script = Əlifba
filter-source = Mənbə
filter-quality = Keyfiyyət
filter-quality-clean = bütün süzgəclərdən keçir
filter-quality-flagged = süzgəcdən keçmir
filter-duplicates = Dublikatlar
filter-dup-unique = qrupda deyil
filter-dup-in-cluster = qrupdadır
filter-dup-removed = silinəcək
filter-anomaly = Anomaliya
filter-anomaly-any = istənilən anomaliya
filter-reset = Süzgəcləri sıfırla
script-latin = latın
script-cyrillic = kiril
script-mixed = qarışıq
script-other = başqa
script-none = hərf yoxdur
mark-hit = axtarış nəticəsi
mark-mixed-script = qarışıq əlifbalı söz
mark-schwa = ə-yə oxşar hərf
mark-replacement = U+FFFD
mark-control = idarəetmə simvolu
mark-split-word = parçalanmış söz
flag-too-short = çox qısa
flag-too-long = çox uzun
flag-word-length = qəribə söz uzunluğu
flag-symbols = simvol çoxdur
flag-digits = rəqəm çoxdur
flag-non-alphabetic = hərfli söz azdır
flag-bullets = siyahı sətirləri
flag-ellipses = … ilə bitən sətirlər
flag-duplicate-lines = təkrarlanan sətirlər
flag-top-bigram = bir bigram üstünlük edir
flag-repeated-ngrams = təkrarlanan n-qramlar
flag-boilerplate = şablon sətirlər
