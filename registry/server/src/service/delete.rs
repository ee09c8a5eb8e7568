//! Soft and hard deletes of versions and subjects. Each opens a store
//! transaction holding the subject's lock, catches the mirror up with
//! everything committed before it, decides on the mirror, and applies the
//! delete in that transaction.

use super::follow::locks_for;
use super::{Error, Registry, VersionSpec};
use crate::state::State;
use crate::store::{Change, Setting, StoreTx};
use crate::subject::QualifiedSubject;

impl Registry {
    /// `DELETE /subjects/{subject}/versions/{version}`.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: &str,
        permanent: bool,
    ) -> Result<i32, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let spec = VersionSpec::parse(version)?;
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let mut tx = self.store.begin(&locks_for(&subject), ticket.id).await?;
        self.catch_up().await?;
        let row = {
            let st = self.read();
            self.check_writable(&st, &subject)?;
            let versions = st.versions(&subject);
            if versions.is_empty() {
                return Err(Error::SubjectNotFound(subject.to_string()));
            }
            let row = match spec {
                VersionSpec::Latest => versions.iter().rev().find(|v| !v.deleted),
                VersionSpec::Number(n) => versions.iter().find(|v| v.version == n),
            };
            let Some(row) = row.copied() else {
                if !versions.iter().any(|v| !v.deleted) && !permanent {
                    return Err(Error::SubjectNotFound(subject.to_string()));
                }
                return Err(Error::VersionNotFound {
                    subject: subject.to_string(),
                    version: version.to_owned(),
                });
            };
            match (permanent, row.deleted) {
                (false, true) => {
                    return Err(Error::VersionSoftDeleted {
                        subject: subject.to_string(),
                        version: row.version,
                    });
                }
                (true, false) => {
                    return Err(Error::VersionNotSoftDeleted {
                        subject: subject.to_string(),
                        version: row.version,
                    });
                }
                _ => {}
            }
            if !st
                .referrers_of(&subject, row.version, !permanent)
                .is_empty()
            {
                return Err(Error::ReferenceExists {
                    subject: subject.to_string(),
                    version: row.version,
                });
            }
            row
        };
        apply_delete(tx.as_mut(), &subject, &[row.version], permanent).await?;
        tx.commit().await?;
        self.settle(ticket, &[subject_change(&subject)]).await;
        Ok(row.version)
    }

    /// `DELETE /subjects/{subject}`.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let mut tx = self.store.begin(&locks_for(&subject), ticket.id).await?;
        self.catch_up().await?;
        let targets = {
            let st = self.read();
            self.check_writable(&st, &subject)?;
            let versions = st.versions(&subject);
            if versions.is_empty() {
                return Err(Error::SubjectNotFound(subject.to_string()));
            }
            let live = versions.iter().any(|v| !v.deleted);
            if permanent && live {
                return Err(Error::SubjectNotSoftDeleted(subject.to_string()));
            }
            if !permanent && !live {
                return Err(Error::SubjectSoftDeleted(subject.to_string()));
            }
            let targets: Vec<i32> = versions
                .iter()
                .filter(|v| permanent || !v.deleted)
                .map(|v| v.version)
                .collect();
            for v in &targets {
                if !st.referrers_of(&subject, *v, !permanent).is_empty() {
                    return Err(Error::ReferenceExists {
                        subject: subject.to_string(),
                        version: *v,
                    });
                }
            }
            targets
        };
        apply_delete(tx.as_mut(), &subject, &targets, permanent).await?;
        let mut changes = vec![subject_change(&subject)];
        if permanent {
            // A permanently deleted subject takes its settings with it, as in Confluent.
            for kind in [Setting::Config, Setting::Mode] {
                tx.set(kind, &subject.context, &subject.name, None).await?;
                changes.push(Change::Setting {
                    kind,
                    context: subject.context.clone(),
                    subject: subject.name.clone(),
                });
            }
        }
        tx.commit().await?;
        self.settle(ticket, &changes).await;
        Ok(targets)
    }

    pub(super) fn check_writable(
        &self,
        st: &State,
        subject: &QualifiedSubject,
    ) -> Result<(), Error> {
        if st.effective_mode(subject).is_read_only() {
            return Err(Error::NotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        Ok(())
    }
}

/// Soft- or hard-deletes `versions` of `subject` in `tx`.
pub(super) async fn apply_delete(
    tx: &mut dyn StoreTx,
    subject: &QualifiedSubject,
    versions: &[i32],
    permanent: bool,
) -> Result<(), Error> {
    if permanent {
        tx.hard_delete(&subject.context, &subject.name, versions)
            .await?;
    } else {
        tx.soft_delete(&subject.context, &subject.name, versions)
            .await?;
    }
    Ok(())
}

/// The change a write to `subject` makes.
pub(super) fn subject_change(subject: &QualifiedSubject) -> Change {
    Change::Subject {
        context: subject.context.clone(),
        subject: subject.name.clone(),
    }
}
