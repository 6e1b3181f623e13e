//! Where the AM's gRPC server and web UI listen: the NodeManager host's address (`NM_HOST`,
//! the address YARN reports and containers dial), not every interface, unless the spec's
//! `master.bind_host` says otherwise (`0.0.0.0` for every interface).
//!
//! One exception keeps the AM reachable: when `NM_HOST` resolves to loopback addresses only
//! (a host whose `/etc/hosts` maps its own name to `127.0.1.1`, as Debian's does) while the
//! ResourceManager's web proxy is elsewhere, listening on loopback would cut the UI off from
//! the proxy and the AM from other nodes' containers; the AM then listens on every interface
//! and says why.

use std::net::{IpAddr, Ipv4Addr};

/// The address to listen on, and why (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenOn {
    /// The IP address.
    pub ip: IpAddr,
    /// Why this one.
    pub reason: String,
}

/// Chooses the address from the spec's `bind_host` (empty: none), the addresses `NM_HOST`
/// (`nm_host`) resolves to, and those of the web proxy's hosts. Pure.
pub(crate) fn choose(
    bind_host: &str,
    nm_host: &str,
    nm_addresses: &[IpAddr],
    proxy_addresses: &[IpAddr],
) -> ListenOn {
    if let Ok(ip) = bind_host.parse::<IpAddr>() {
        return ListenOn {
            ip,
            reason: "the spec's master.bind_host".into(),
        };
    }
    let preferred = |addresses: &mut dyn Iterator<Item = &IpAddr>| {
        let addresses: Vec<IpAddr> = addresses.copied().collect();
        addresses
            .iter()
            .find(|a| a.is_ipv4())
            .or(addresses.first())
            .copied()
    };
    if let Some(ip) = preferred(&mut nm_addresses.iter().filter(|a| !a.is_loopback())) {
        return ListenOn {
            ip,
            reason: format!("the address of the NodeManager host {nm_host}"),
        };
    }
    let Some(loopback) = preferred(&mut nm_addresses.iter()) else {
        return ListenOn {
            ip: Ipv4Addr::UNSPECIFIED.into(),
            reason: format!(
                "every interface: the NodeManager host {nm_host} does not resolve here"
            ),
        };
    };
    if proxy_addresses.iter().any(|a| !a.is_loopback()) {
        return ListenOn {
            ip: Ipv4Addr::UNSPECIFIED.into(),
            reason: format!(
                "every interface: the NodeManager host {nm_host} resolves to {loopback} only, \
                 where the ResourceManager's web proxy (on another host) could not reach it; \
                 set master.bind_host to choose"
            ),
        };
    }
    ListenOn {
        ip: loopback,
        reason: format!("the address of the NodeManager host {nm_host}"),
    }
}

/// The addresses `host` resolves to (none when it does not).
pub(crate) async fn resolve(host: &str) -> Vec<IpAddr> {
    match tokio::net::lookup_host((host, 0)).await {
        Ok(addresses) => addresses.map(|a| a.ip()).collect(),
        Err(e) => {
            tracing::warn!("cannot resolve {host}: {e}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_nodemanager_hosts_address_unless_the_spec_says_otherwise() {
        let nm = [ip("::1"), ip("10.0.0.5"), ip("fe80::1")];
        assert_eq!(choose("", "nm1", &nm, &[ip("10.0.0.1")]).ip, ip("10.0.0.5"));
        assert_eq!(choose("0.0.0.0", "nm1", &nm, &[]).ip, ip("0.0.0.0"));
        assert_eq!(choose("::", "nm1", &nm, &[]).ip, ip("::"));
        // A single-machine cluster: loopback everywhere.
        let local = choose(
            "",
            "localhost",
            &[ip("::1"), ip("127.0.0.1")],
            &[ip("127.0.0.1")],
        );
        assert_eq!(local.ip, ip("127.0.0.1"));
    }

    #[test]
    fn a_host_name_that_resolves_to_loopback_only_listens_everywhere_when_the_proxy_is_remote() {
        let chosen = choose("", "nm1", &[ip("127.0.1.1")], &[ip("10.0.0.1")]);
        assert_eq!(chosen.ip, ip("0.0.0.0"));
        assert!(chosen.reason.contains("127.0.1.1"), "{}", chosen.reason);
        let unresolved = choose("", "nm1", &[], &[]);
        assert_eq!(unresolved.ip, ip("0.0.0.0"));
        assert!(unresolved.reason.contains("does not resolve"));
    }
}
