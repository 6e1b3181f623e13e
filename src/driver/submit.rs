//! `submit`: from a validated spec to a running YARN application, in Skein's staging layout.
//!
//! The driver creates `<home>/.skein/<app_id>/` (0700) and stages, all mode 0600: the
//! application's key pair (`.skein.crt`, `.skein.pem`), each service's script (`<service>.sh`,
//! localized as `.skein.sh`), the user's local files, and the rewritten spec (`.skein.proto`)
//! the ApplicationMaster reads. The `skein` binary (which is also the AM) and the Java shim jar
//! go to a content-addressed cache and are uploaded once per content. Any failure removes the
//! staging folder again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tonic::Status;

use crate::proto;
use crate::security::Credentials;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::staging::FILE_MODE;
use skein_hadoop::hdfs::{Hdfs, HdfsError};
use skein_hadoop::yarn::{
    Commands, ContainerLaunchContext, Entries, LocalResource, ResourceInfo, ResourceManager,
    SubmissionContext, Tags,
};

/// The command that starts the ApplicationMaster in its container.
///
/// `bash` stays the container's main process around `skein application-master`: should the Rust
/// process die without unregistering (`kill -9`, a crash), it records the exit status in
/// `.skein.am-exit` and keeps the container alive (up to 20 s) until the Java shim, which sees its
/// pipe close, has read that status and unregistered FAILED with a diagnostic naming it
/// (java-shim/README.md, "Failure handling"). Otherwise the NodeManager would kill the shim with
/// the container first. YARN runs the command as `exec /bin/bash -c "<command>"`, hence `\$`.
pub const AM_COMMAND: &str = concat!(
    "./skein application-master ><LOG_DIR>/application.master.log 2>&1; ",
    "rc=\\$?; echo \\$rc >.skein.am-exit; ",
    "for i in \\$(seq 200); do ",
    "kill -0 \\$(cat .skein.shim-pid 2>/dev/null) 2>/dev/null || break; sleep 0.1; ",
    "done; exit \\$rc"
);

/// Where the Java shim jar is looked for, in order: `$SKEIN_SHIM_JAR`, `skein-shim.jar` next to
/// the `skein` binary, and the development build `java-shim/target/skein-shim.jar` of the
/// source tree the binary was built in.
pub fn find_shim_jar() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("SKEIN_SHIM_JAR").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(path));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("skein-shim.jar"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("java-shim/target/skein-shim.jar"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "the skein AM shim jar was not found (looked at {}): build it with `mvn -f java-shim/pom.xml package` and set SKEIN_SHIM_JAR to it",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// What a submission needs from the driver.
pub struct Submitter<'a> {
    /// The ResourceManager.
    pub rm: &'a ResourceManager,
    /// HDFS, as the submitting user.
    pub hdfs: &'a Hdfs,
    /// The cluster's configuration.
    pub config: &'a HadoopConfig,
    /// The submitting user.
    pub user: &'a str,
    /// The driver's key pair: the application's when the spec names none.
    pub credentials: &'a Credentials,
    /// The `skein` binary to stage as the ApplicationMaster (normally the running one).
    pub am_binary: &'a Path,
}

/// The `skein` binary applications run as their AM: `$SKEIN_AM_BINARY`, else this process's.
pub fn default_am_binary() -> Result<PathBuf, String> {
    match std::env::var_os("SKEIN_AM_BINARY").filter(|p| !p.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => std::env::current_exe()
            .map_err(|e| format!("cannot locate the running skein binary: {e}")),
    }
}

fn failed(message: impl std::fmt::Display) -> Status {
    Status::internal(format!(
        "Failed to submit application, exception:\n{message}"
    ))
}

fn hdfs_failed(e: HdfsError) -> Status {
    failed(e)
}

/// A YARN local resource as the wire contract's File.
fn as_file(resource: &LocalResource, kind: proto::file::Type) -> proto::File {
    let (scheme, rest) = resource
        .resource
        .split_once("://")
        .unwrap_or(("hdfs", resource.resource.as_str()));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().unwrap_or(0)),
        None => (authority, 0),
    };
    proto::File {
        source: Some(proto::Url {
            scheme: scheme.to_string(),
            host: host.to_ascii_lowercase(),
            port,
            file: path.to_string(),
        }),
        r#type: kind.into(),
        visibility: proto::file::Visibility::Application.into(),
        size: resource.size,
        timestamp: resource.timestamp,
    }
}

/// The wire contract's File as a YARN local resource.
fn as_local_resource(file: &proto::File) -> LocalResource {
    let url = file.source.clone().unwrap_or_default();
    let authority = match (url.host.is_empty(), url.port) {
        (true, _) => String::new(),
        (false, p) if p > 0 => format!("{}:{p}", url.host),
        (false, _) => url.host.clone(),
    };
    LocalResource {
        resource: format!("{}://{authority}{}", url.scheme, url.file),
        kind: file.r#type().as_str_name().to_string(),
        visibility: file.visibility().as_str_name().to_string(),
        size: file.size,
        timestamp: file.timestamp,
    }
}

/// Refuses, before anything is staged, a container the cluster could never grant: YARN would
/// accept the application and then leave that request pending (or fail the AM) forever.
fn check_fits(spec: &proto::ApplicationSpec, max: ResourceInfo) -> Result<(), String> {
    for (what, r) in container_requests(spec) {
        if i64::from(r.memory) > max.memory {
            return Err(format!(
                "Resource request for {what} ({} MiB) exceeds the cluster's maximum container memory of {} MiB",
                r.memory, max.memory
            ));
        }
        if i64::from(r.vcores) > max.vcores {
            return Err(format!(
                "Resource request for {what} ({} vcores) exceeds the cluster's maximum of {} vcores per container",
                r.vcores, max.vcores
            ));
        }
    }
    Ok(())
}

/// YARN's refusal of an impersonation (`User: <real> is not allowed to impersonate <user>`),
/// with how to allow it; other messages unchanged.
fn with_proxy_user_hint(message: String, real_user: &str) -> String {
    if message.contains("is not allowed to impersonate") {
        format!(
            "{message}\nTo allow it, a cluster administrator sets \
             hadoop.proxyuser.{real_user}.hosts and hadoop.proxyuser.{real_user}.users (or .groups) \
             in core-site.xml and refreshes them (yarn rmadmin -refreshSuperUserGroupsConfiguration)."
        )
    } else {
        message
    }
}

/// The containers the spec asks for, the AM's first and then each service's, with their
/// resources and how errors name them.
fn container_requests(
    spec: &proto::ApplicationSpec,
) -> impl Iterator<Item = (String, proto::Resources)> + '_ {
    let master = spec
        .master
        .as_ref()
        .and_then(|m| m.resources)
        .unwrap_or_default();
    std::iter::once(("the application master".to_string(), master)).chain(
        spec.services
            .iter()
            .map(|(n, s)| (format!("service '{n}'"), s.resources.unwrap_or_default())),
    )
}

/// YARN's names of the resource types a spec may request besides memory and vcores.
pub const GPU: &str = "yarn.io/gpu";
/// See [`GPU`].
pub const FPGA: &str = "yarn.io/fpga";

/// Checks the GPUs and FPGAs the spec requests against the resource types the cluster defines
/// (`types` from `new-application`; `None`: a ResourceManager without resource types), before
/// anything is staged.
///
/// # Errors
/// Skein's `INVALID_ARGUMENT` messages for a resource the cluster lacks; `INTERNAL` (as for
/// memory) for more than a container may have, or for the application master, whose REST
/// submission carries only memory and vcores.
fn check_resource_types(
    spec: &proto::ApplicationSpec,
    types: Option<&[skein_hadoop::yarn::ResourceType]>,
) -> Result<(), Status> {
    for (index, (what, r)) in container_requests(spec).enumerate() {
        let is_master = index == 0;
        if is_master && (r.gpus > 0 || r.fpgas > 0) {
            return Err(failed(
                "skein-rs does not request GPUs or FPGAs for the application master: request them for a service",
            ));
        }
        for (kind, amount) in [(GPU, r.gpus), (FPGA, r.fpgas)] {
            if amount <= 0 {
                continue;
            }
            let Some(types) = types else {
                return Err(Status::invalid_argument(format!(
                    "Custom resources not supported in this version of Hadoop, can't set request for '{kind}'"
                )));
            };
            let Some(max) = types.iter().find(|t| t.name == kind) else {
                return Err(Status::invalid_argument(format!(
                    "Resource '{kind}' is not defined in your cluster's configuration"
                )));
            };
            if amount > max.value {
                return Err(failed(format!(
                    "Resource request for {what} ({amount} {kind}) exceeds the cluster's maximum of {} per container",
                    max.value
                )));
            }
        }
    }
    Ok(())
}

impl Submitter<'_> {
    /// Submits `spec` (already validated) and returns the new application id.
    ///
    /// # Errors
    /// INTERNAL "Failed to submit application, exception:\n..." as Skein, after removing
    /// whatever was staged.
    pub async fn submit(&self, spec: proto::ApplicationSpec) -> Result<String, Status> {
        let app = self
            .rm
            .new_application()
            .await
            .map_err(|e| failed(with_proxy_user_hint(e.to_string(), self.rm.user())))?;
        check_fits(&spec, app.maximum_resource_capability).map_err(failed)?;
        check_resource_types(&spec, app.resource_types.as_deref())?;
        let id = app.application_id;
        match self.stage_and_submit(&id, spec).await {
            Ok(()) => Ok(id),
            Err(status) => {
                if let Err(e) = self.hdfs.remove_staging_dir(&id).await {
                    tracing::warn!("could not remove the staging folder of {id}: {e}");
                }
                Err(status)
            }
        }
    }

    async fn stage_and_submit(
        &self,
        id: &str,
        mut spec: proto::ApplicationSpec,
    ) -> Result<(), Status> {
        let dir = self.hdfs.staging_dir(id);
        self.hdfs
            .create_dir(&dir, skein_hadoop::hdfs::staging::DIR_MODE)
            .await
            .map_err(hdfs_failed)?;

        // The small files go up concurrently: each HDFS write costs a round of completeFile
        // polling (hdfs-native waits 500 ms per retry), so one after another adds up.
        let scripts = futures_util::future::try_join_all(spec.services.iter().map(|(name, s)| {
            let path = format!("{dir}/{name}.sh");
            let text = Bytes::from(s.script.clone());
            Box::pin(async move {
                let staged = self.hdfs.write_file(&path, text, FILE_MODE).await?;
                Ok::<_, HdfsError>((name.clone(), staged))
            })
        }));
        let shim_jar = find_shim_jar().map_err(failed)?;
        // hdfs-native's futures are large: joined on the stack they overflow it, so box them.
        let (security, scripts, binary, jar) = tokio::join!(
            Box::pin(self.stage_security(id, &spec)),
            scripts,
            Box::pin(self.hdfs.stage_cached_file("skein", self.am_binary)),
            Box::pin(self.hdfs.stage_cached_file("skein-shim.jar", &shim_jar)),
        );
        let (cert, key) = security?;
        let mut scripts: BTreeMap<String, LocalResource> =
            scripts.map_err(hdfs_failed)?.into_iter().collect();
        let (binary, jar) = (binary.map_err(hdfs_failed)?, jar.map_err(hdfs_failed)?);
        let mut uploads: BTreeMap<String, proto::File> = BTreeMap::new();
        let lang = std::env::var("LANG").ok().filter(|l| !l.is_empty());

        let mut services = std::mem::take(&mut spec.services);
        for (name, service) in services.iter_mut() {
            for file in service.files.values_mut() {
                self.stage_user_file(id, file, &mut uploads).await?;
            }
            let script = scripts
                .remove(name)
                .ok_or_else(|| failed(format!("the script of service '{name}' was not staged")))?;
            service.files.insert(
                ".skein.sh".into(),
                as_file(&script, proto::file::Type::File),
            );
            service.files.insert(".skein.crt".into(), cert.clone());
            service.files.insert(".skein.pem".into(), key.clone());
            service.script = format!("bash .skein.sh ><LOG_DIR>/{name}.log 2>&1");
            if let Some(lang) = &lang {
                service
                    .env
                    .entry("LANG".into())
                    .or_insert_with(|| lang.clone());
            }
        }
        spec.services = services;

        let mut master = spec.master.take().unwrap_or_default();
        for file in master.files.values_mut() {
            self.stage_user_file(id, file, &mut uploads).await?;
        }
        master.files.insert(
            "skein".into(),
            as_file(&binary.resource, proto::file::Type::File),
        );
        master.files.insert(
            ".skein.jar".into(),
            as_file(&jar.resource, proto::file::Type::File),
        );
        master.security = Some(proto::Security {
            cert: Some(proto::security::Cert::CertFile(cert.clone())),
            key: Some(proto::security::Key::KeyFile(key.clone())),
        });
        spec.master = Some(master);

        let spec_file = self
            .hdfs
            .write_file(
                &format!("{dir}/.skein.proto"),
                Bytes::from(prost::Message::encode_to_vec(&spec)),
                FILE_MODE,
            )
            .await
            .map_err(hdfs_failed)?;

        let context = self.submission_context(id, &spec, spec_file, &cert, &key, lang);
        self.rm.submit(&context).await.map_err(failed)
    }

    /// The application's key pair, staged as `.skein.crt` / `.skein.pem`: the spec's own, or
    /// the driver's when it names none.
    async fn stage_security(
        &self,
        id: &str,
        spec: &proto::ApplicationSpec,
    ) -> Result<(proto::File, proto::File), Status> {
        let security = spec.master.as_ref().and_then(|m| m.security.clone());
        let (cert, key) = match security {
            None => (
                self.credentials.cert_pem().as_bytes().to_vec(),
                self.credentials.key_pem().as_bytes().to_vec(),
            ),
            Some(security) => {
                let cert = match security.cert {
                    Some(proto::security::Cert::CertBytes(b)) => b,
                    Some(proto::security::Cert::CertFile(f)) => self.read_local(&f).await?,
                    None => {
                        return Err(failed(
                            "Must specify exactly one of cert_file or cert_bytes",
                        ));
                    }
                };
                let key = match security.key {
                    Some(proto::security::Key::KeyBytes(b)) => b,
                    Some(proto::security::Key::KeyFile(f)) => self.read_local(&f).await?,
                    None => {
                        return Err(failed("Must specify exactly one of key_file or key_bytes"));
                    }
                };
                (cert, key)
            }
        };
        let dir = self.hdfs.staging_dir(id);
        let (cert_path, key_path) = (format!("{dir}/.skein.crt"), format!("{dir}/.skein.pem"));
        let (cert, key) = tokio::try_join!(
            self.hdfs
                .write_file(&cert_path, Bytes::from(cert), FILE_MODE),
            self.hdfs.write_file(&key_path, Bytes::from(key), FILE_MODE),
        )
        .map_err(hdfs_failed)?;
        let (cert, key) = (
            as_file(&cert, proto::file::Type::File),
            as_file(&key, proto::file::Type::File),
        );
        Ok((cert, key))
    }

    async fn read_local(&self, file: &proto::File) -> Result<Vec<u8>, Status> {
        let url = file.source.clone().unwrap_or_default();
        if url.scheme != "file" {
            return Err(failed(format!(
                "Cannot read security file {}://{}{} locally",
                url.scheme, url.host, url.file
            )));
        }
        tokio::fs::read(&url.file)
            .await
            .map_err(|e| failed(format!("cannot read {}: {e}", url.file)))
    }

    /// Local files are uploaded (once per source); files already on the default filesystem
    /// are used in place with their size and timestamp filled in.
    async fn stage_user_file(
        &self,
        id: &str,
        file: &mut proto::File,
        uploads: &mut BTreeMap<String, proto::File>,
    ) -> Result<(), Status> {
        let url = file.source.clone().unwrap_or_default();
        if url.scheme == "file" {
            if let Some(done) = uploads.get(&url.file) {
                *file = proto::File {
                    r#type: file.r#type,
                    visibility: file.visibility,
                    ..done.clone()
                };
                return Ok(());
            }
            let kind = file.r#type().as_str_name();
            let staged = self
                .hdfs
                .stage_local_file(id, Path::new(&url.file), kind)
                .await
                .map_err(hdfs_failed)?;
            let mut staged_file = as_file(&staged.resource, file.r#type());
            staged_file.visibility = file.visibility;
            uploads.insert(url.file.clone(), staged_file.clone());
            *file = staged_file;
        } else if self.on_default_fs(&url) && (file.size <= 0 || file.timestamp <= 0) {
            let described = self
                .hdfs
                .local_resource(&url.file, file.r#type().as_str_name())
                .await
                .map_err(hdfs_failed)?;
            file.size = described.size;
            file.timestamp = described.timestamp;
        }
        Ok(())
    }

    fn on_default_fs(&self, url: &proto::Url) -> bool {
        let default = self.hdfs.default_fs().trim_end_matches('/');
        let mine = if url.port > 0 {
            format!("{}://{}:{}", url.scheme, url.host, url.port)
        } else {
            format!("{}://{}", url.scheme, url.host)
        };
        default.eq_ignore_ascii_case(&mine)
    }

    fn submission_context(
        &self,
        id: &str,
        spec: &proto::ApplicationSpec,
        spec_file: LocalResource,
        cert: &proto::File,
        key: &proto::File,
        lang: Option<String>,
    ) -> SubmissionContext {
        let master = spec.master.clone().unwrap_or_default();
        let mut local_resources: BTreeMap<String, LocalResource> = master
            .files
            .iter()
            .map(|(name, f)| (name.clone(), as_local_resource(f)))
            .collect();
        local_resources.insert(".skein.proto".into(), spec_file);
        local_resources.insert(".skein.crt".into(), as_local_resource(cert));
        local_resources.insert(".skein.pem".into(), as_local_resource(key));

        let mut classpath = vec!["{{CLASSPATH}}".to_string(), "./*".to_string()];
        let configured = self.config.yarn_application_classpath();
        if configured.is_empty() {
            classpath.extend(
                [
                    "{{HADOOP_CONF_DIR}}",
                    "{{HADOOP_COMMON_HOME}}/share/hadoop/common/*",
                    "{{HADOOP_COMMON_HOME}}/share/hadoop/common/lib/*",
                    "{{HADOOP_HDFS_HOME}}/share/hadoop/hdfs/*",
                    "{{HADOOP_HDFS_HOME}}/share/hadoop/hdfs/lib/*",
                    "{{HADOOP_YARN_HOME}}/share/hadoop/yarn/*",
                    "{{HADOOP_YARN_HOME}}/share/hadoop/yarn/lib/*",
                ]
                .map(String::from),
            );
        } else {
            classpath.extend(configured);
        }
        let mut env: BTreeMap<String, String> = master.env.clone().into_iter().collect();
        env.insert("CLASSPATH".into(), classpath.join("<CPS>"));
        env.insert("SKEIN_APPLICATION_ID".into(), id.to_string());
        if let Some(lang) = lang {
            env.entry("LANG".into()).or_insert(lang);
        }
        if !self.config.security_enabled() {
            env.insert("HADOOP_USER_NAME".into(), self.user.to_string());
        }
        let resources = master.resources.unwrap_or_default();
        let acls = crate::am::launch::yarn_acls(spec.acls.as_ref());
        SubmissionContext {
            application_id: id.to_string(),
            application_name: spec.name.clone(),
            queue: Some(if spec.queue.is_empty() {
                "default".to_string()
            } else {
                spec.queue.clone()
            }),
            priority: 0,
            am_container_spec: ContainerLaunchContext {
                local_resources: local_resources.into_iter().collect(),
                environment: env.into_iter().collect(),
                commands: Commands {
                    command: vec![AM_COMMAND.to_string()],
                },
                credentials: None,
                application_acls: (!acls.is_empty())
                    .then(|| acls.into_iter().collect::<Entries<_>>()),
            },
            unmanaged_am: false,
            max_app_attempts: spec.max_attempts.max(1),
            resource: ResourceInfo {
                memory: i64::from(resources.memory),
                vcores: i64::from(resources.vcores),
            },
            application_type: crate::driver::service::APPLICATION_TYPE.to_string(),
            keep_containers_across_application_attempts: false,
            application_tags: Tags {
                tag: spec.tags.clone(),
            },
            app_node_label_expression: (!spec.node_label.is_empty())
                .then(|| spec.node_label.clone()),
            am_container_node_label_expression: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_above_the_cluster_maximum_are_refused_naming_the_service() {
        let mut spec = proto::ApplicationSpec {
            master: Some(proto::Master {
                resources: Some(proto::Resources {
                    memory: 512,
                    vcores: 1,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        spec.services.insert(
            "big".into(),
            proto::Service {
                resources: Some(proto::Resources {
                    memory: 32,
                    vcores: 99,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let max = ResourceInfo {
            memory: 1024,
            vcores: 16,
        };
        let err = check_fits(&spec, max).expect_err("too many vcores");
        assert!(
            err.contains("service 'big'") && err.contains("99 vcores"),
            "{err}"
        );
        spec.services.clear();
        assert!(check_fits(&spec, max).is_ok());
        let small = ResourceInfo {
            memory: 256,
            vcores: 16,
        };
        assert!(
            check_fits(&spec, small)
                .expect_err("master too big")
                .contains("application master")
        );
    }

    #[test]
    fn a_refused_impersonation_says_how_to_allow_it() {
        let hinted = with_proxy_user_hint(
            "User: root is not allowed to impersonate bob".into(),
            "root",
        );
        assert!(hinted.starts_with("User: root is not allowed to impersonate bob\n"));
        assert!(hinted.contains("hadoop.proxyuser.root.users"), "{hinted}");
        assert_eq!(with_proxy_user_hint("other".into(), "root"), "other");
    }

    #[test]
    fn gpus_and_fpgas_are_checked_against_the_clusters_resource_types() {
        use skein_hadoop::yarn::ResourceType;
        let mut spec = proto::ApplicationSpec::default();
        let gpus = |gpus, fpgas| proto::Service {
            resources: Some(proto::Resources {
                memory: 32,
                vcores: 1,
                gpus,
                fpgas,
            }),
            ..Default::default()
        };
        spec.services.insert("train".into(), gpus(2, 0));
        let basic = [
            ResourceType {
                name: "memory-mb".into(),
                value: 1024,
            },
            ResourceType {
                name: "vcores".into(),
                value: 8,
            },
        ];
        let err = check_resource_types(&spec, Some(&basic)).expect_err("no GPUs defined");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            err.message(),
            "Resource 'yarn.io/gpu' is not defined in your cluster's configuration"
        );
        let err = check_resource_types(&spec, None).expect_err("Hadoop 2");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().starts_with("Custom resources not supported"));

        let mut with_gpus = basic.to_vec();
        with_gpus.push(ResourceType {
            name: GPU.into(),
            value: 1,
        });
        let err = check_resource_types(&spec, Some(&with_gpus)).expect_err("2 > 1 GPU");
        assert_eq!(err.code(), tonic::Code::Internal);
        assert!(err.message().contains("service 'train' (2 yarn.io/gpu)"));
        spec.services.insert("train".into(), gpus(1, 0));
        assert!(check_resource_types(&spec, Some(&with_gpus)).is_ok());
        spec.services.insert("fpga".into(), gpus(0, 1));
        let err = check_resource_types(&spec, Some(&with_gpus)).expect_err("no FPGAs");
        assert_eq!(
            err.message(),
            "Resource 'yarn.io/fpga' is not defined in your cluster's configuration"
        );
        spec.services.clear();
        spec.master = Some(proto::Master {
            resources: Some(proto::Resources {
                memory: 256,
                vcores: 1,
                gpus: 1,
                fpgas: 0,
            }),
            ..Default::default()
        });
        assert!(check_resource_types(&spec, Some(&with_gpus)).is_err());
    }

    #[test]
    fn files_and_local_resources_convert_both_ways() {
        let resource = LocalResource {
            resource: "hdfs://127.0.0.1:9000/user/a/.skein/app/.skein.crt".into(),
            kind: "FILE".into(),
            visibility: "APPLICATION".into(),
            size: 5,
            timestamp: 7,
        };
        let file = as_file(&resource, proto::file::Type::File);
        let url = file.source.clone().expect("url");
        assert_eq!(
            (url.scheme.as_str(), url.host.as_str(), url.port),
            ("hdfs", "127.0.0.1", 9000)
        );
        assert_eq!(url.file, "/user/a/.skein/app/.skein.crt");
        assert_eq!(as_local_resource(&file), resource);
    }
}
