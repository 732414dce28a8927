//! Game cloud key-value data (setUserCloudStorage and its family) over any mpstore backend.
