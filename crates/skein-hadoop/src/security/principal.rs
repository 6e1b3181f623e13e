//! Kerberos principals as Hadoop writes them: `primary[/instance][@REALM]`, with `_HOST` in a
//! configured server principal standing for the server's host name (Hadoop's
//! `SecurityUtil.getServerPrincipal`), and the server principals the configuration names.

use crate::conf::HadoopConfig;

/// The placeholder Hadoop replaces with a server's host name.
pub(crate) const HOST_PATTERN: &str = "_HOST";

/// `SecurityUtil.getServerPrincipal`: replaces `_HOST` in `primary/_HOST@REALM` with `host`
/// in lower case (with this machine's name when `host` is empty or the wildcard `0.0.0.0`).
/// Any other shape is returned as it is.
pub(crate) fn server_principal(template: &str, host: &str) -> String {
    let parts: Vec<&str> = template.split(['/', '@']).collect();
    if parts.len() != 3 || parts[1] != HOST_PATTERN {
        return template.to_string();
    }
    let host = if host.is_empty() || host == "0.0.0.0" {
        crate::conf::local_hostname()
    } else {
        host.to_string()
    };
    format!("{}/{}@{}", parts[0], host.to_ascii_lowercase(), parts[2])
}

/// The primary (first component) of a principal: `yarn` for `yarn/rm.example.com@EX.COM`.
/// It is the user name Hadoop's `DEFAULT` auth_to_local rule gives a principal of the default
/// realm; clusters with other rules may map names differently.
pub fn short_name(principal: &str) -> &str {
    principal.split(['/', '@']).next().unwrap_or(principal)
}

/// The realm of a principal, if it names one.
pub fn realm(principal: &str) -> Option<&str> {
    principal
        .rsplit_once('@')
        .map(|(_, r)| r)
        .filter(|r| !r.is_empty())
}

/// The ResourceManager's principal (`yarn.resourcemanager.principal`) with `_HOST` replaced by
/// the host of the RM's RPC address (`yarn.resourcemanager.address`; the first RM id under
/// HA), as YARN clients and MapReduce's `Master.getMasterPrincipal` do. It is the renewer
/// Hadoop clients give the delegation tokens an application's RM must renew.
pub(crate) fn resourcemanager_principal(config: &HadoopConfig) -> Option<String> {
    let template = config.get("yarn.resourcemanager.principal")?;
    if template.trim().is_empty() {
        return None;
    }
    let suffix = if config.get_bool("yarn.resourcemanager.ha.enabled", false) {
        config
            .get("yarn.resourcemanager.ha.id")
            .filter(|id| !id.is_empty())
            .or_else(|| {
                config
                    .get_list("yarn.resourcemanager.ha.rm-ids")
                    .into_iter()
                    .next()
            })
            .map(|id| format!(".{id}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let address = config
        .get(&format!("yarn.resourcemanager.address{suffix}"))
        .filter(|a| !a.is_empty())
        .or_else(|| {
            config
                .get(&format!("yarn.resourcemanager.hostname{suffix}"))
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "0.0.0.0".to_string());
    Some(server_principal(template.trim(), host_of(&address)))
}

/// The NameNode's principal (`dfs.namenode.kerberos.principal`) with `_HOST` replaced by
/// `namenode_host`.
pub fn namenode_principal(config: &HadoopConfig, namenode_host: &str) -> Option<String> {
    config
        .get("dfs.namenode.kerberos.principal")
        .filter(|p| !p.trim().is_empty())
        .map(|p| server_principal(p.trim(), namenode_host))
}

/// The host of `host:port` (or of a bare host).
fn host_of(address: &str) -> &str {
    match address.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_placeholder_is_replaced_in_lower_case() {
        assert_eq!(
            server_principal("yarn/_HOST@EXAMPLE.COM", "RM1.Example.com"),
            "yarn/rm1.example.com@EXAMPLE.COM"
        );
        // Not the three-part _HOST shape: unchanged, as Hadoop.
        for p in [
            "yarn/rm@EXAMPLE.COM",
            "yarn@EXAMPLE.COM",
            "yarn/_HOST",
            "_HOST@R",
        ] {
            assert_eq!(server_principal(p, "h"), p);
        }
        let local = server_principal("yarn/_HOST@R", "0.0.0.0");
        assert!(
            !local.contains("_HOST") && !local.contains("0.0.0.0"),
            "{local}"
        );
    }

    #[test]
    fn short_names_and_realms() {
        assert_eq!(short_name("yarn/rm.example.com@EXAMPLE.COM"), "yarn");
        assert_eq!(short_name("alice@EXAMPLE.COM"), "alice");
        assert_eq!(short_name("alice"), "alice");
        assert_eq!(realm("alice@EXAMPLE.COM"), Some("EXAMPLE.COM"));
        assert_eq!(realm("alice"), None);
    }

    #[test]
    fn rm_principal_uses_the_rpc_address_host() {
        let mut c = HadoopConfig::default();
        assert_eq!(resourcemanager_principal(&c), None);
        c.set("yarn.resourcemanager.principal", "yarn/_HOST@EXAMPLE.COM");
        c.set("yarn.resourcemanager.hostname", "rm0.example.com");
        assert_eq!(
            resourcemanager_principal(&c).as_deref(),
            Some("yarn/rm0.example.com@EXAMPLE.COM")
        );
        c.set("yarn.resourcemanager.address", "rpc.example.com:8032");
        assert_eq!(
            resourcemanager_principal(&c).as_deref(),
            Some("yarn/rpc.example.com@EXAMPLE.COM")
        );
        c.set("yarn.resourcemanager.ha.enabled", "true");
        c.set("yarn.resourcemanager.ha.rm-ids", "rm1,rm2");
        c.set("yarn.resourcemanager.hostname.rm1", "a.example.com");
        c.set("yarn.resourcemanager.hostname.rm2", "b.example.com");
        assert_eq!(
            resourcemanager_principal(&c).as_deref(),
            Some("yarn/a.example.com@EXAMPLE.COM")
        );
    }

    #[test]
    fn namenode_principal_substitutes_the_given_host() {
        let mut c = HadoopConfig::default();
        c.set("dfs.namenode.kerberos.principal", "hdfs/_HOST@EXAMPLE.COM");
        assert_eq!(
            namenode_principal(&c, "nn1.example.com").as_deref(),
            Some("hdfs/nn1.example.com@EXAMPLE.COM")
        );
    }
}
