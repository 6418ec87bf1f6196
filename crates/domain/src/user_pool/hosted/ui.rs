//! UI customization: the CSS and logo of the hosted pages, per pool or per client.

use super::*;

impl UserPoolService {
    pub async fn set_ui_customization(&self, pool_id: &UserPoolId, client_id: Option<&str>, css: Option<String>, image: Option<Vec<u8>>) -> DomainResult<UiCustomization> {
        self.load_pool(pool_id).await?;
        let client_id = match client_id.filter(|id| *id != "ALL") {
            Some(id) => self.load_client(pool_id, id).await?.client_id.into_string(),
            None => "ALL".to_string(),
        };
        if let Some(css) = &css {
            if css.chars().count() > MAX_CSS_CHARS {
                return Err(invalid(format!("The CSS may have at most {MAX_CSS_CHARS} characters.")));
            }
            // The CSS goes into a <style> element of the pages: markup would escape from it.
            if css.contains('<') {
                return Err(invalid("The CSS may not contain '<'."));
            }
        }
        let (image, image_type) = match image {
            Some(bytes) => {
                if bytes.len() > MAX_IMAGE_BYTES {
                    return Err(invalid(format!("The image file may have at most {MAX_IMAGE_BYTES} bytes.")));
                }
                let kind = image_type(&bytes).ok_or_else(|| invalid("The image file must be a PNG or JPEG image."))?;
                (Some(BASE64.encode(&bytes)), Some(kind.to_string()))
            }
            None => (None, None),
        };
        let now = self.now();
        let previous: Option<UiCustomization> = self.store.get_record_of(pool_id, &client_id, 0).await?;
        let record = UiCustomization {
            pool_id: pool_id.to_string(),
            client_id: client_id.clone(),
            css,
            image,
            image_type,
            css_version: crate::ids::new_uuid().replace('-', "")[..16].to_string(),
            created_ms: previous.map(|previous| previous.created_ms).unwrap_or(now),
            modified_ms: now,
        };
        self.store
            .write_records(&[record.put()?])
            .await
            ?;
        Ok(record)
    }

    /// The customization a client's pages use: its own, else the pool's (`ALL`), else None.
    pub async fn get_ui_customization(&self, pool_id: &UserPoolId, client_id: Option<&str>) -> DomainResult<Option<UiCustomization>> {
        self.load_pool(pool_id).await?;
        if let Some(client_id) = client_id.filter(|id| *id != "ALL") {
            self.load_client(pool_id, client_id).await?;
            let own = self.store.get_record_of(pool_id, client_id, 0).await?;
            if own.is_some() {
                return Ok(own);
            }
        }
        self.store.get_record_of(pool_id, "ALL", 0).await
    }
}
