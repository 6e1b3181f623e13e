//! What the ResourceManager client puts on the wire in simple mode, against a local fake
//! server: `user.name=<user>` first, then the call's query, then `doAs=<user>`; no
//! Authorization header. (Kerberos mode is covered by `secure_cluster.rs`.)

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::security::SecurityMode;
use skein_hadoop::yarn::{AppQuery, ResourceManager};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `answers` one connection each and returns the request heads it saw.
async fn fake_rm(answers: Vec<&'static str>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let server = tokio::spawn(async move {
        let mut heads = Vec::new();
        for body in answers {
            let Ok((mut socket, _)) = listener.accept().await else {
                break;
            };
            let mut buf = vec![0u8; 65536];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            heads.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
        heads
    });
    (url, server)
}

#[tokio::test]
async fn simple_mode_names_the_user_and_the_impersonated_user() {
    let info = r#"{"clusterInfo":{"id":1,"state":"STARTED","haState":"ACTIVE","hadoopVersion":"3.4.2","startedOn":1}}"#;
    let (url, server) = fake_rm(vec![info, r#"{"apps":null}"#]).await;
    let mut config = HadoopConfig::default();
    config.set(
        "yarn.resourcemanager.webapp.address",
        url.trim_start_matches("http://"),
    );
    let rm = ResourceManager::from_config(&config, "skein").expect("client");
    assert_eq!(rm.auth().mode(), SecurityMode::Simple);
    rm.cluster_info().await.expect("cluster info");
    let query = AppQuery {
        states: vec!["RUNNING".into()],
        ..AppQuery::default()
    };
    rm.acting_as("alice")
        .applications(&query)
        .await
        .expect("applications");
    let heads = server.await.expect("server");
    let lines: Vec<&str> = heads
        .iter()
        .map(|h| h.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(
        lines,
        [
            "GET /ws/v1/cluster/info?user.name=skein HTTP/1.1",
            "GET /ws/v1/cluster/apps?user.name=skein&states=RUNNING&doAs=alice HTTP/1.1",
        ]
    );
    for head in &heads {
        assert!(
            !head.to_ascii_lowercase().contains("\r\nauthorization:"),
            "{head}"
        );
    }
}
