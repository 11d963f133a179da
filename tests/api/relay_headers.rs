//! The headers of a message read as a mail reader reads them (issue 31): a Portuguese
//! subject in encoded words, address groups and quoted names with commas, over SMTP
//! (Python's smtplib) and HTTP (curl); the Message-ID each message goes out with
//! recorded; a Sender header checked as the From is; the bytes left as they came.

use serde_json::json;
use smtp_setup::api::relay::MessageStatus;

use crate::helpers::spawn_peers;
use crate::relay::{queued_id, rig};
use crate::relay_api::{curl, messages_url, post_json, post_raw, user};

#[tokio::test]
async fn headers_are_read_as_mail_readers_read_them() {
    let peers = spawn_peers().await;
    let rig = rig("relay-headers", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let mailbox = rig.mailbox().to_owned();
    let quoted_from = format!("\"Contoso, Faturamento\" <{mailbox}>");

    // Over SMTP: smtplib writes the subject as RFC 2047 encoded words; the To header is
    // an empty group, the recipients are the envelope's.
    let sent = rig
        .send_one(&[
            "--subject",
            "Relatório mensal",
            "--header-from",
            &quoted_from,
            "--header-to",
            "undisclosed-recipients:;",
        ])
        .await;
    let smtp_id = queued_id(&sent);
    let smtp = rig.until_status(&smtp_id, MessageStatus::Sent).await;
    assert_eq!(smtp.subject, "Relatório mensal");
    let own_id = sent["message_id"]
        .as_str()
        .expect("the client's Message-ID");
    assert_eq!(
        smtp.internet_message_id.as_deref(),
        own_id.strip_prefix('<').and_then(|id| id.strip_suffix('>'))
    );

    // Over HTTP, a whole message: recipients in a group with a quoted, comma'd name, an
    // empty group, a Bcc with a quoted name; an ISO-8859-1 subject.
    let raw = format!(
        "From: {quoted_from}\r\n\
         To: Equipe: \"Silva, José\" <jose@fabrikam-test.com>, ana@fabrikam-test.com;\r\n\
         Cc: undisclosed-recipients:;\r\n\
         Bcc: \"Auditoria, Interna\" <audit@contoso-test.com>\r\n\
         Subject: =?ISO-8859-1?Q?Relat=F3rio_de_mar=E7o?=\r\n\
         Message-ID: <raw-headers-1@app.contoso-test.com>\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 -0300\r\n\
         \r\n\
         Olá, segue o relatório.\r\n"
    );
    let (status, answer) = post_raw(&rig, &raw).await;
    assert_eq!(status, 202, "{answer}");
    let raw_id = answer["id"].as_str().expect("an id").to_owned();
    let entry = rig.until_status(&raw_id, MessageStatus::Sent).await;
    assert_eq!(entry.subject, "Relatório de março");
    assert_eq!(
        entry.recipients,
        [
            "jose@fabrikam-test.com",
            "ana@fabrikam-test.com",
            "audit@contoso-test.com"
        ]
    );
    let (status, report) = curl(&[
        "-u",
        &user(&rig),
        &format!("{}/{raw_id}", messages_url(&rig)),
    ])
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["internet_message_id"],
        "raw-headers-1@app.contoso-test.com"
    );

    // A message without one: the Message-ID recorded is the one it went out with.
    let (status, answer) = post_json(
        &rig,
        &json!({"to": ["cliente@fabrikam-test.com"], "subject": "Sem identificador", "text": "t"}),
        &[],
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let json_id = answer["id"].as_str().expect("an id").to_owned();
    let composed = rig.until_status(&json_id, MessageStatus::Sent).await;

    // A Sender header outside the allowed senders is refused as a foreign From is.
    let foreign = format!(
        "From: {mailbox}\r\nSender: ceo@contoso-test.com\r\nTo: a@fabrikam-test.com\r\n\
         Subject: on behalf\r\n\r\nx\r\n"
    );
    let (status, answer) = post_raw(&rig, &foreign).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "sender", "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("ceo@contoso-test.com")),
        "{answer}"
    );
    let refused = rig
        .send_one(&["--header", "Sender: ceo@contoso-test.com"])
        .await;
    assert_eq!(refused["code"], 550, "{refused}");
    assert!(
        refused["reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("5.7.1 the Sender header names ceo@contoso-test.com")),
        "{refused}"
    );
    // Its own mailbox as the Sender is fine.
    let allowed = rig
        .send_one(&["--header", &format!("Sender: Contoso <{mailbox}>")])
        .await;
    rig.until_status(&queued_id(&allowed), MessageStatus::Sent)
        .await;

    let delivered = rig.settled(&peers).await;
    assert_eq!(delivered.len(), 4, "{delivered:?}");
    let by_subject = |subject: &str| {
        delivered
            .iter()
            .find(|m| m.subject == subject)
            .unwrap_or_else(|| panic!("{subject:?} in {delivered:?}"))
    };
    assert_eq!(
        by_subject("Relatório mensal").message_id.as_deref(),
        Some(own_id)
    );
    let raw_delivered = by_subject("Relatório de março");
    let mut rcpt = raw_delivered.rcpt_to.clone();
    rcpt.sort();
    assert_eq!(
        rcpt,
        [
            "ana@fabrikam-test.com",
            "audit@contoso-test.com",
            "jose@fabrikam-test.com"
        ]
    );
    // Byte for byte as it came, but for the Bcc line taken out.
    let without_bcc = raw.replace(
        "Bcc: \"Auditoria, Interna\" <audit@contoso-test.com>\r\n",
        "",
    );
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(without_bcc.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(raw_delivered.sha256, digest);
    let recorded = composed.internet_message_id.expect("a Message-ID recorded");
    assert_eq!(
        by_subject("Sem identificador").message_id,
        Some(format!("<{recorded}>"))
    );
}
