//! Finding a skein application by id: the checks every caller makes (the id's form, that YARN
//! knows it, that it is a skein application), with Skein's messages, so the driver and the CLI
//! answer alike.

use super::{AppInfo, ResourceManager, YarnError};

/// The YARN application type of every skein application.
pub const APPLICATION_TYPE: &str = "skein";

/// Why an application id does not lead to a skein application.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Not of the form `application_<cluster timestamp>_<sequence>`.
    #[error("Invalid ApplicationId '{0}'")]
    InvalidId(String),
    /// YARN does not know it.
    #[error("Unknown ApplicationId '{0}'")]
    Unknown(String),
    /// YARN knows it, but it is not a skein application.
    #[error("ApplicationId '{0}' is not a skein application")]
    NotSkein(String),
    /// The ResourceManager failed.
    #[error(transparent)]
    Yarn(#[from] YarnError),
}

/// Checks the form `application_<cluster timestamp>_<sequence>`, with numbers that fit YARN's
/// types (a Java `long` and `int`: larger ones make the RM answer with a Java exception).
///
/// # Errors
/// [`LookupError::InvalidId`].
pub fn validate_application_id(id: &str) -> Result<(), LookupError> {
    let parts: Vec<&str> = id.split('_').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let long = |s: &str| digits(s) && s.parse::<i64>().is_ok();
    let int = |s: &str| digits(s) && s.parse::<i32>().is_ok();
    if parts.len() == 3 && parts[0] == "application" && long(parts[1]) && int(parts[2]) {
        Ok(())
    } else {
        Err(LookupError::InvalidId(id.to_string()))
    }
}

impl ResourceManager {
    /// The report of skein application `id`.
    ///
    /// # Errors
    /// A [`LookupError`] naming what is wrong with the id, or the ResourceManager's failure.
    pub async fn skein_application(&self, id: &str) -> Result<AppInfo, LookupError> {
        validate_application_id(id)?;
        let app = match self.application(id).await {
            Ok(app) => app,
            Err(YarnError::Remote { status: 404, .. }) => {
                return Err(LookupError::Unknown(id.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        if app.application_type != APPLICATION_TYPE {
            return Err(LookupError::NotSkein(id.to_string()));
        }
        Ok(app)
    }
}
