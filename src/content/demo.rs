//! `hindsight seed-demo`: a living thread for a new user, in the project's own words. It is
//! idempotent: users are created when missing, and the article and its thread only when the
//! article does not exist yet, so a second run changes nothing.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;

use crate::accounts::model::NewUser;
use crate::articles::model::ArticleInput;
use crate::articles::{markdown, queries as articles};
use crate::auth::password::Passwords;
use crate::comments::queries::NewComment;
use crate::comments::write::create_comment;
use crate::config::Secret;
use crate::ids::{ArticleId, UserId};

/// Slug of the demo article.
pub const DEMO_SLUG: &str = "xi-lee-summit-2026";

/// Bio that marks every demo account.
pub const DEMO_BIO: &str = "Demo account created by `hindsight seed-demo`; not a real person.";

/// A demo account: username, password, role, display name.
pub struct DemoUser {
    /// Username.
    pub username: &'static str,
    /// Password (printed; these accounts are for trying the API locally).
    pub password: &'static str,
    /// Role.
    pub role: &'static str,
    /// Display name.
    pub display_name: &'static str,
}

/// The demo accounts.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        username: "demo_editor",
        password: "demo-editor-harbour-42",
        role: "admin",
        display_name: "Desk Editor (demo)",
    },
    DemoUser {
        username: "demo_moderator",
        password: "demo-moderator-lantern-42",
        role: "moderator",
        display_name: "Thread Moderator (demo)",
    },
    DemoUser {
        username: "minji_demo",
        password: "demo-reader-camellia-42",
        role: "reader",
        display_name: "Min-ji (demo)",
    },
    DemoUser {
        username: "daniel_demo",
        password: "demo-reader-sextant-42",
        role: "reader",
        display_name: "Daniel (demo)",
    },
    DemoUser {
        username: "wei_demo",
        password: "demo-reader-porcelain-42",
        role: "reader",
        display_name: "Wei (demo)",
    },
    DemoUser {
        username: "sora_demo",
        password: "demo-reader-monsoon-42",
        role: "reader",
        display_name: "Sora (demo)",
    },
];

const TITLE: &str = "Xi and Lee in Beijing: what the 2026 summit could change for Seoul";

const SUMMARY: &str = "South Korea's president spent a state visit in Beijing courting investment while Tokyo and Washington watched. We look at what was promised, what was left unsaid, and which signals to watch next.";

const BODY: &str = "\
President Lee Jae-myung's state visit to Beijing ended with handshakes, a stack of memoranda and headline investment pledges worth tens of billions of dollars. The numbers will be argued over for months. The more interesting question is what the visit says about where Seoul thinks the region is heading.

## Why Beijing rolled out the red carpet

China's relations with Japan have soured over Taiwan, wartime memory and Tokyo's deepening defence ties with Washington. Courting Seoul is a low-cost way for Beijing to show that the United States' allies in Northeast Asia do not move as one bloc. For Xi Jinping, a warm photo opportunity with a South Korean president is worth more than the fine print of any trade deal.

## What Seoul wants

South Korea's economy still leans heavily on Chinese demand, above all for memory chips and electronics. Lee has framed his approach as pragmatic: keep the alliance with the United States as the anchor of security policy, while lowering the temperature with the country's largest trading partner. The summit's language on supply chains, tourism and cultural exchanges fits that reading.

## The chip question

Semiconductors are where pragmatism meets its limits. Washington's export controls restrict what Korean firms can ship to Chinese fabs and what equipment they can upgrade there. Any promise of closer technology cooperation made in Beijing will have to pass through that filter, and observers will watch whether Korean chipmakers receive new licences or new restrictions in the coming year.

## What to watch

- Whether the investment pledges turn into signed projects with dates and sites.
- Whether talks on upgrading the China–Korea free trade agreement restart in earnest.
- How Tokyo responds, and whether trilateral meetings with Japan resume or stall.
- Any change in how Seoul talks about Taiwan.

None of this amounts to Seoul switching sides. It does suggest a more crowded, more transactional neighbourhood, where every capital hedges.

*What do you expect to happen next? Post a prediction below, with a probability and a deadline, and see how it scores.*
";

/// One demo comment: index of the parent in this list (if a reply), author index, hours before
/// now, body.
struct DemoComment {
    parent: Option<usize>,
    author: usize,
    hours_ago: i64,
    body: &'static str,
}

const THREAD: &[DemoComment] = &[
    DemoComment { parent: None, author: 2, hours_ago: 30, body: "The investment figure is eye-catching, but most of it is **pledges**. I'd like to see how much is new money versus projects already announced last year." },
    DemoComment { parent: Some(0), author: 3, hours_ago: 29, body: "Agreed. Past summits produced similar totals and only a fraction turned into signed contracts." },
    DemoComment { parent: Some(1), author: 4, hours_ago: 27, body: "Still, the signal matters. Beijing wants Korean firms to keep their factories in China rather than moving them to Vietnam or India." },
    DemoComment { parent: Some(2), author: 2, hours_ago: 26, body: "That only works if Washington grants the licences for equipment upgrades. The chip fabs are the real test." },
    DemoComment { parent: None, author: 5, hours_ago: 24, body: "Nobody in this thread has mentioned Japan yet. Tokyo will read this visit as Seoul drifting, whatever the official line says." },
    DemoComment { parent: Some(4), author: 3, hours_ago: 23, body: "I read it the other way: Seoul is hedging precisely because relations with Tokyo improved enough that it can afford to." },
    DemoComment { parent: Some(4), author: 4, hours_ago: 22, body: "Watch whether the trilateral summit with Japan and China gets a date. That would tell us more than any communiqué." },
    DemoComment { parent: None, author: 3, hours_ago: 12, body: "Tourism is the underrated part. Group tours from China to Korea were a big deal for Korean retail before, and easier visas are an easy win for both sides." },
    DemoComment { parent: Some(7), author: 5, hours_ago: 10, body: "Easy win until the next diplomatic spat. We have seen tourism used as a pressure tool before." },
    DemoComment { parent: None, author: 4, hours_ago: 3, body: "Prediction: talks on upgrading the free trade agreement restart within a year, but nothing is signed before 2028." },
];

/// Demo votes: (voter index in DEMO_USERS, comment index in THREAD, value).
const VOTES: &[(usize, usize, i16)] = &[
    (3, 0, 1),
    (4, 0, 1),
    (5, 0, 1),
    (1, 0, 1),
    (2, 1, 1),
    (4, 1, -1),
    (2, 2, 1),
    (3, 2, 1),
    (5, 2, -1),
    (3, 4, 1),
    (2, 4, -1),
    (4, 4, 1),
    (2, 5, 1),
    (5, 5, 1),
    (2, 7, 1),
    (4, 7, 1),
    (5, 7, 1),
    (2, 9, 1),
    (3, 9, -1),
    (5, 9, 1),
];

/// Demo predictions: (author index, claim, percent, days until the deadline, criteria).
const PREDICTIONS: &[(usize, &str, i16, i64, &str)] = &[
    (4, "Formal talks on upgrading the China–South Korea FTA restart before the end of 2027", 60, 400, "An official announcement by either trade ministry that negotiations have resumed."),
    (3, "A China–Japan–South Korea leaders' summit is held before July 2027", 35, 210, "The three leaders meet in person for a trilateral summit."),
    (2, "A Korean chipmaker receives a new US licence to upgrade equipment at its China fabs within six months", 55, 180, "A licence or waiver reported by the company or the US Commerce Department."),
    (5, "China extends visa-free entry to South Korean tourists before the end of the summit month", 70, 20, "An announcement by China's foreign ministry or immigration administration."),
];

/// Demo forecasts: (forecaster index, prediction index, percent).
const FORECASTS: &[(usize, usize, i16)] = &[
    (2, 0, 45),
    (3, 0, 55),
    (5, 0, 70),
    (2, 1, 25),
    (4, 1, 40),
    (5, 1, 30),
    (3, 2, 60),
    (4, 2, 40),
    (2, 3, 80),
    (3, 3, 65),
    (4, 3, 75),
];

/// What `seed-demo` did, for the command to print.
pub struct DemoOutcome {
    /// Whether the article and thread were created by this run.
    pub created_thread: bool,
}

async fn ensure_user(
    conn: &mut AsyncPgConnection,
    passwords: &Passwords,
    user: &DemoUser,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    if let Some(existing) = crate::accounts::queries::find_by_username(conn, user.username).await? {
        // Seeded before verification existed: verified now, so the demo works with
        // `require_verified_email` on.
        crate::accounts::queries::mark_verified(conn, UserId(existing.id), now).await?;
        return Ok(existing.id);
    }
    let hash = passwords
        .hash(&Secret::new(user.password))
        .await
        .map_err(|e| anyhow::anyhow!("hashing a demo password: {e}"))?;
    let email = format!("{}@demo.hindsight.invalid", user.username);
    let row = crate::accounts::queries::insert_user(
        conn,
        NewUser {
            username: user.username,
            email: &email,
            password_hash: &hash,
            role: user.role,
            created_at: now - Duration::days(30),
        },
    )
    .await?;
    crate::accounts::queries::update_profile(
        conn,
        UserId(row.id),
        crate::accounts::queries::ProfileChanges {
            display_name: Some(Some(user.display_name.to_owned())),
            bio: Some(Some(DEMO_BIO.to_owned())),
        },
    )
    .await?;
    // The `.invalid` addresses can receive no link: demo accounts are verified as seeded.
    crate::accounts::queries::mark_verified(conn, UserId(row.id), now).await?;
    Ok(row.id)
}

/// Seeds the demo data (idempotent).
pub async fn seed_demo(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoOutcome> {
    let passwords = Passwords::new(2);
    let mut user_ids = Vec::new();
    for user in DEMO_USERS {
        user_ids.push(ensure_user(conn, &passwords, user, now).await?);
    }
    if articles::slug_taken(conn, DEMO_SLUG).await? {
        return Ok(DemoOutcome {
            created_thread: false,
        });
    }
    let input = ArticleInput {
        title: TITLE.to_owned(),
        slug: Some(DEMO_SLUG.to_owned()),
        summary: Some(SUMMARY.to_owned()),
        body: BODY.to_owned(),
        body_html: markdown::render_article(BODY)?,
        tags: vec![
            "korea".into(),
            "china".into(),
            "diplomacy".into(),
            "trade".into(),
        ],
        published_at: Some(now - Duration::hours(36)),
    };
    let article = articles::insert(
        conn,
        &input,
        DEMO_SLUG,
        UserId(user_ids[0]),
        now - Duration::hours(36),
    )
    .await?;
    let mut comment_ids: Vec<i64> = Vec::new();
    for comment in THREAD {
        let html = markdown::render(comment.body)?;
        let new = NewComment {
            article_id: article.id.get(),
            parent_id: comment.parent.map(|i| comment_ids[i]),
            path: Vec::new(),
            depth: 0,
            author_id: user_ids[comment.author],
            body: comment.body,
            body_html: &html,
            created_at: now - Duration::hours(comment.hours_ago),
            rank_hot: crate::comments::ranking::hot(
                0,
                now - Duration::hours(comment.hours_ago),
                now,
            ),
        };
        let id = create_comment(conn, new, None, &[])
            .await
            .map_err(|e| anyhow::Error::new(e).context("seeding a demo comment"))?;
        comment_ids.push(id.get());
    }
    seed_predictions(conn, article.id, &user_ids, now).await?;
    for (voter, comment, value) in VOTES {
        crate::comments::votes::cast_vote(
            conn,
            crate::ids::CommentId(comment_ids[*comment]),
            crate::ids::UserId(user_ids[*voter]),
            *value,
            now,
        )
        .await?;
    }
    Ok(DemoOutcome {
        created_thread: true,
    })
}

/// Predictions, forecasts and one prediction resolved early by the demo moderator.
async fn seed_predictions(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    user_ids: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::predictions::queries as predictions;
    let mut prediction_ids = Vec::new();
    for (i, (author, claim, percent, days, criteria)) in PREDICTIONS.iter().enumerate() {
        let created_at = now - Duration::hours(2) + Duration::minutes(i64::try_from(i)?);
        let body = format!("My forecast: {claim}.");
        let html = markdown::render(&body)?;
        let comment = NewComment {
            article_id: article_id.get(),
            parent_id: None,
            path: Vec::new(),
            depth: 0,
            author_id: user_ids[*author],
            body: &body,
            body_html: &html,
            created_at,
            rank_hot: crate::comments::ranking::hot(0, created_at, now),
        };
        let prediction = predictions::NewPrediction {
            claim: (*claim).to_owned(),
            criteria: Some((*criteria).to_owned()),
            resolves_at: now + Duration::days(*days),
            percent: *percent,
        };
        let comment_id = create_comment(conn, comment, Some(prediction), &[])
            .await
            .map_err(|e| anyhow::anyhow!("seeding a demo prediction: {e}"))?;
        let id = predictions::lock_for_comment(conn, comment_id)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| anyhow::anyhow!("the demo prediction was not stored"))?;
        prediction_ids.push(id);
    }
    for (forecaster, prediction, percent) in FORECASTS {
        predictions::record_forecast(
            conn,
            prediction_ids[*prediction],
            article_id,
            UserId(user_ids[*forecaster]),
            *percent,
            now,
        )
        .await?;
    }
    let visa = predictions::lock(conn, prediction_ids[3])
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo prediction vanished"))?;
    let resolution = predictions::Resolution {
        outcome: crate::predictions::state::Outcome::Yes,
        note: Some("Announced during the visit (demo data)."),
        evidence_url: None,
        resolver_id: UserId(user_ids[1]),
    };
    crate::predictions::service::apply_resolution(conn, &visa, &resolution, now).await?;
    Ok(())
}
